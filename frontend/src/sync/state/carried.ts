// Friends' writes I carry to the walls' owners: a post, comment or like a friend wrote for a wall
// whose owner I will meet before they do. Kept across reloads, bounded per friend and in all
// (the oldest go first), dropped once the owner took it (their ack) or I see it on their wall.
import type { Repository } from "../../store/repository";
import type { SignedEvent } from "../events";
import { canon, sameHandle } from "../handles";

/** A write I carry; it takes its author's share (event.author), whoever handed it to me. */
export interface CarriedWrite {
  event: SignedEvent;
  at: number;
  bytes: number;
}

/** What I carry, by whom, for the views (Settings). */
export interface CarriedUse {
  count: number;
  bytes: number;
  byFriend: Record<string, { count: number; bytes: number }>;
  budget: number;
  /** Whether I serve full-size photos of walls I carry too, not only their thumbnails. */
  fullPhotos: boolean;
}

export class Carried {
  private items = new Map<string, CarriedWrite>();

  private constructor(
    private readonly repo: Repository,
    private budget: number,
    private readonly perFriend: number,
    private fullPhotos_: boolean,
  ) {}

  static async open(repo: Repository, defaultBudget: number, perFriend: number): Promise<Carried> {
    const [items, budget, fullPhotos] = await Promise.all([
      repo.meta<CarriedWrite[]>("carried"),
      repo.meta<number>("carryBudget"),
      repo.meta<boolean>("carryFullPhotos"),
    ]);
    const carried = new Carried(repo, typeof budget === "number" && budget >= 0 ? budget : defaultBudget, perFriend, fullPhotos === true);
    for (const item of items ?? []) carried.items.set(item.event.id, item);
    return carried;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  /** Every write I carry, oldest first. */
  all(): SignedEvent[] {
    return [...this.items.values()].map((i) => i.event);
  }

  /** The writes I carry for ``owner``'s wall, oldest first. */
  for(owner: string): SignedEvent[] {
    return [...this.items.values()].filter((i) => sameHandle(i.event.wall, owner)).map((i) => i.event);
  }

  use(): CarriedUse {
    const byFriend: CarriedUse["byFriend"] = {};
    let bytes = 0;
    for (const item of this.items.values()) {
      const who = canon(item.event.author);
      byFriend[who] ??= { count: 0, bytes: 0 };
      byFriend[who].count++;
      byFriend[who].bytes += item.bytes;
      bytes += item.bytes;
    }
    return { count: this.items.size, bytes, byFriend, budget: this.budget, fullPhotos: this.fullPhotos_ };
  }

  /** Keeps a write to carry; false when it was here already or the budget leaves no room. */
  async add(event: SignedEvent, now: number): Promise<boolean> {
    if (this.items.has(event.id)) return false;
    const bytes = JSON.stringify(event).length;
    if (bytes > this.budget) return false;
    this.items.set(event.id, { event, at: now, bytes });
    this.fit();
    if (!this.items.has(event.id)) return false;
    await this.save();
    return true;
  }

  /** The owner took these (or they are on the wall I hold): no longer mine to carry. */
  async done(ids: Iterable<string>): Promise<void> {
    let any = false;
    for (const id of ids) any = this.items.delete(id) || any;
    if (any) await this.save();
  }

  /** Lowers (or raises) what all carried writes may take; the oldest go first. */
  async setBudget(bytes: number): Promise<void> {
    this.budget = Math.max(0, Math.floor(bytes));
    this.fit();
    await Promise.all([this.save(), this.repo.saveMeta("carryBudget", this.budget)]);
  }

  get fullPhotos(): boolean {
    return this.fullPhotos_;
  }

  /** Full-size photos cost a carrier megabytes each, so they are served only if the user says so. */
  async setFullPhotos(on: boolean): Promise<void> {
    this.fullPhotos_ = on;
    await this.repo.saveMeta("carryFullPhotos", on);
  }

  /** Drops the oldest writes of whoever holds too many, then the oldest of all, until it fits. */
  private fit(): void {
    const byFriend = new Map<string, CarriedWrite[]>();
    for (const item of this.items.values()) {
      const list = byFriend.get(canon(item.event.author)) ?? [];
      list.push(item);
      byFriend.set(canon(item.event.author), list);
    }
    for (const list of byFriend.values()) {
      list.sort((a, b) => a.at - b.at);
      while (list.length > this.perFriend) this.items.delete(list.shift()!.event.id);
    }
    let total = [...this.items.values()].reduce((n, i) => n + i.bytes, 0);
    const oldest = [...this.items.values()].sort((a, b) => a.at - b.at);
    while (total > this.budget && oldest.length) {
      const item = oldest.shift()!;
      this.items.delete(item.event.id);
      total -= item.bytes;
    }
  }

  private save(): Promise<void> {
    return this.repo.saveMeta("carried", [...this.items.values()]);
  }
}
