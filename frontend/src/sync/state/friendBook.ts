// The people I know and where we stand, keyed by canonical handle (one person whatever the
// letter case), each with the spelling they chose and the key I pinned for them.
import type { FriendRecord, FriendState } from "../../store/db";
import type { Repository } from "../../store/repository";
import { canon } from "../handles";

export class FriendBook {
  private readonly records = new Map<string, FriendRecord>();

  private constructor(private readonly repo: Repository) {}

  static async open(repo: Repository): Promise<FriendBook> {
    const book = new FriendBook(repo);
    for (const record of await repo.friends()) book.records.set(canon(record.handle), record);
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
    const stored: FriendRecord = { ...record, handle: key, name: record.name ?? previous?.name ?? record.handle };
    await this.repo.saveFriend(stored);
    this.records.set(key, stored);
  }

  async remove(handle: string): Promise<void> {
    await this.repo.deleteFriend(canon(handle));
    this.records.delete(canon(handle));
  }
}
