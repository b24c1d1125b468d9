// The people I know and where we stand, keyed by canonical handle (one person whatever the
// letter case), each with the spelling they chose and the key I pinned for them.
import type { FriendRecord, FriendState } from "../../store/db";
import type { Repository } from "../../store/repository";
import { isKey } from "../frames";
import { isHandle } from "../events";
import { canon } from "../handles";

/** Kept to tell my other devices: the newest, as many as one frame carries. */
const MAX_FORGOTTEN = 300;
const STATES: ReadonlySet<string> = new Set(["requested-out", "requested-in", "accepted", "declined", "blocked"]);

/** People I forgot (unfriended, unblocked), and when: so that my other devices forget them too. */
export type Forgotten = Record<string, number>;

export class FriendBook {
  private readonly records = new Map<string, FriendRecord>();
  private readonly forgotten = new Map<string, number>();
  /** Told of every record saved here (not of merged ones): my other devices hear of it. */
  onSaved: (record: FriendRecord) => void = () => {};
  /** Told of everyone forgotten here. */
  onForgotten: (forgotten: Forgotten) => void = () => {};

  private constructor(
    private readonly repo: Repository,
    private readonly now: () => number,
  ) {}

  static async open(repo: Repository, now: () => number = Date.now): Promise<FriendBook> {
    const book = new FriendBook(repo, now);
    for (const record of await repo.friends()) book.records.set(canon(record.handle), record);
    for (const [handle, at] of Object.entries((await repo.meta<Forgotten>("forgottenFriends")) ?? {})) book.forgotten.set(handle, at);
    return book;
  }

  get(handle: string): FriendRecord | undefined {
    return this.records.get(canon(handle));
  }

  state(handle: string): FriendState | undefined {
    return this.get(handle)?.state;
  }

  /** How a person spells their handle, as far as I know it. */
  name(handle: string): string {
    const record = this.get(handle);
    return record?.name ?? record?.handle ?? handle;
  }

  isFriend(handle: string): boolean {
    return this.state(handle) === "accepted";
  }

  isBlocked(handle: string): boolean {
    return this.state(handle) === "blocked";
  }

  all(): FriendRecord[] {
    return [...this.records.values()];
  }

  accepted(): FriendRecord[] {
    return this.all().filter((f) => f.state === "accepted");
  }

  /** The key pinned for a friend; none for anyone else. */
  keyOf(handle: string): string | undefined {
    const friend = this.get(handle);
    return friend?.state === "accepted" ? friend.key : undefined;
  }

  /**
   * Whose presence I ask the broker for: friends, and people I asked (so that their "yes" finds
   * me online). Not people who asked me: presence is for friends, and a request is not one yet.
   */
  watched(): string[] {
    return this.all()
      .filter((f) => f.state === "accepted" || f.state === "requested-out")
      .map((f) => f.name ?? f.handle);
  }

  /** Writes a record durably (under its canonical handle), then keeps it. */
  async save(record: FriendRecord): Promise<void> {
    const key = canon(record.handle);
    const previous = this.records.get(key);
    const stored: FriendRecord = { ...record, handle: key, name: record.name ?? previous?.name ?? record.handle, updatedAt: this.now() };
    await this.repo.saveFriend(stored);
    this.records.set(key, stored);
    if (this.forgotten.delete(key)) await this.saveForgotten();
    this.onSaved(stored);
  }

  /**
   * Records from another device of mine: each one newer than mine replaces it. Returns the
   * handles that changed. A device never learns a key I have not pinned through them: the
   * records come from a device that proved my own key.
   */
  async merge(theirs: unknown[], forgotten: Forgotten = {}): Promise<string[]> {
    const changed: string[] = [];
    for (const [handle, at] of Object.entries(forgotten)) {
      const key = canon(handle);
      if (!isHandle(handle) || typeof at !== "number" || (this.forgotten.get(key) ?? -1) >= at) continue;
      const mine = this.records.get(key);
      if (mine && (mine.updatedAt ?? 0) > at) continue; // I made friends again since
      this.forgotten.set(key, at);
      if (mine) {
        await this.repo.deleteFriend(key);
        this.records.delete(key);
        changed.push(key);
      }
    }
    if (Object.keys(forgotten).length) await this.saveForgotten();
    for (const raw of theirs) {
      const r = asFriendRecord(raw);
      if (!r) continue;
      const mine = this.records.get(r.handle);
      if (mine && (mine.updatedAt ?? 0) >= (r.updatedAt ?? 0)) continue;
      // Forgotten here after their record was written: it stays forgotten.
      if ((this.forgotten.get(r.handle) ?? -1) >= (r.updatedAt ?? 0)) continue;
      await this.repo.saveFriend(r);
      this.records.set(r.handle, r);
      changed.push(r.handle);
    }
    return changed;
  }

  async remove(handle: string): Promise<void> {
    const key = canon(handle);
    await this.repo.deleteFriend(key);
    this.records.delete(key);
    this.forgotten.set(key, this.now());
    await this.saveForgotten();
    this.onForgotten({ [key]: this.forgotten.get(key)! });
  }

  /** Everyone forgotten, and when (the newest few hundred). */
  forgottenAll(): Forgotten {
    return Object.fromEntries(this.forgotten);
  }

  private saveForgotten(): Promise<void> {
    while (this.forgotten.size > MAX_FORGOTTEN) this.forgotten.delete(this.forgotten.keys().next().value!);
    return this.repo.saveMeta("forgottenFriends", Object.fromEntries(this.forgotten));
  }
}

function asFriendRecord(raw: unknown): FriendRecord | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const time = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (!isHandle(r.handle) || typeof r.state !== "string" || !STATES.has(r.state) || !time(r.since)) return null;
  if ((r.name !== undefined && !isHandle(r.name)) || (r.key !== undefined && !isKey(r.key))) return null;
  if ((r.changedKey !== undefined && !isKey(r.changedKey)) || (r.updatedAt !== undefined && !time(r.updatedAt))) return null;
  return {
    handle: canon(r.handle),
    name: (r.name as string | undefined) ?? r.handle,
    state: r.state as FriendRecord["state"],
    since: r.since as number,
    ...(r.key !== undefined ? { key: r.key as string } : {}),
    ...(r.changedKey !== undefined ? { changedKey: r.changedKey as string } : {}),
    ...(r.updatedAt !== undefined ? { updatedAt: r.updatedAt as number } : {}),
  };
}
