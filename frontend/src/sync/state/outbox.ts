// My posts, comments and likes for friends' walls that their owners have not taken yet. The
// rows are written with their events (EventLog.store); this keeps them in memory, by id.
import type { OutboxRecord } from "../../store/db";
import type { Repository } from "../../store/repository";
import { sameHandle } from "../handles";

export class Outbox {
  private readonly items = new Map<string, OutboxRecord>();

  static async open(repo: Repository): Promise<Outbox> {
    const outbox = new Outbox();
    for (const item of await repo.outbox()) outbox.items.set(item.id, item);
    return outbox;
  }

  get size(): number {
    return this.items.size;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  get(id: string): OutboxRecord | undefined {
    return this.items.get(id);
  }

  /** The ids waiting, for the views' pending marks. */
  ids(): ReadonlySet<string> {
    return new Set(this.items.keys());
  }

  /** What waits for ``owner`` to take it, oldest first. */
  for(owner: string): OutboxRecord[] {
    return [...this.items.values()].filter((item) => sameHandle(item.to, owner)).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Everything waiting, oldest first. */
  pending(): OutboxRecord[] {
    return [...this.items.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Remembers rows already written to the store. */
  added(items: OutboxRecord[]): void {
    for (const item of items) this.items.set(item.id, item);
  }

  /** Forgets rows already removed from the store. */
  removed(ids: string[]): void {
    for (const id of ids) this.items.delete(id);
  }
}
