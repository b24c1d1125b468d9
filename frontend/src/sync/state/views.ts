// What the views read: friends with their presence, walls as posts, the feed, unread counts.
// Derived from the other parts and kept until the walls they come from change.
import type { FriendState } from "../../store/db";
import type { Repository } from "../../store/repository";
import { type Cursor, streamOf } from "../events";
import { canon, sameHandle } from "../handles";
import { buildWall, type PostView } from "../wall";
import type { EventLog } from "./eventLog";
import type { FriendBook } from "./friendBook";
import type { Outbox } from "./outbox";
import { beyond } from "./places";

export interface FriendView {
  /** As its owner spells it. */
  handle: string;
  state: FriendState;
  online: boolean;
  connected: boolean;
  unread: number;
  keyChanged: boolean;
}

/** Who is online and who is connected: the connections part answers. */
export interface Presence {
  isOnline(handle: string): boolean;
  isConnected(handle: string): boolean;
}

export class Views {
  private readonly wallCache = new Map<string, { version: string; posts: PostView[] }>();
  private feedCache?: { key: string; items: { wall: string; post: PostView }[] };
  /** How far I read each wall, stream by stream. */
  private readonly lastRead = new Map<string, Cursor>();

  private constructor(
    private readonly me: string,
    private readonly repo: Repository,
    private readonly log: EventLog,
    private readonly outbox: Outbox,
    private readonly book: FriendBook,
    private readonly presence: Presence,
  ) {}

  static async open(
    me: string,
    repo: Repository,
    log: EventLog,
    outbox: Outbox,
    book: FriendBook,
    presence: Presence,
  ): Promise<Views> {
    const views = new Views(me, repo, log, outbox, book, presence);
    const read = await repo.meta<Record<string, number | Cursor>>("lastRead");
    // A number is how far I read a wall's one stream, from before devices.
    for (const [wall, seq] of Object.entries(read ?? {})) views.lastRead.set(canon(wall), typeof seq === "number" ? { "": seq } : seq);
    return views;
  }

  friends(): FriendView[] {
    return this.book
      .all()
      .filter((f) => f.state !== "declined")
      .map((f) => ({
        handle: f.name ?? f.handle,
        state: f.state,
        online: this.presence.isOnline(f.handle),
        connected: this.presence.isConnected(f.handle),
        unread: f.state === "accepted" ? this.unread(f.handle) : 0,
        keyChanged: f.changedKey !== undefined,
      }))
      .sort((a, b) => a.handle.localeCompare(b.handle));
  }

  wall(handle: string): PostView[] {
    const key = canon(handle);
    // Pending marks come from the outbox: its size is part of what the posts were built from.
    const version = `${this.log.version(key)}:${this.outbox.size}`;
    const cached = this.wallCache.get(key);
    if (cached && cached.version === version) return cached.posts;
    const posts = buildWall(handle, this.log.wallEvents(key), this.outbox.ids(), (id) => this.log.via(id));
    this.wallCache.set(key, { version, posts });
    return posts;
  }

  /** Everything on my wall and my friends' walls, newest first: the news feed. */
  feed(): { wall: string; post: PostView }[] {
    const walls = [this.me, ...this.book.accepted().map((f) => f.name ?? f.handle)];
    const key = walls.map((w) => `${canon(w)}:${this.log.version(w)}`).join(" ") + ` ${this.outbox.size}`;
    if (this.feedCache?.key === key) return this.feedCache.items;
    const items = walls
      .flatMap((wall) => this.wall(wall).map((post) => ({ wall, post })))
      .sort((a, b) => this.log.orderTs(b.post.event) - this.log.orderTs(a.post.event));
    this.feedCache = { key, items };
    return items;
  }

  unread(wall: string): number {
    const read = this.lastRead.get(canon(wall)) ?? {};
    let count = 0;
    for (const e of this.log.wallEvents(wall)) {
      if (e.seq !== undefined && beyond(read, streamOf(e), e.seq) && !sameHandle(e.author, this.me) && (e.kind === "post" || e.kind === "comment"))
        count++;
    }
    return count;
  }

  /** The wall is numbered anew (its owner's new key): how far I read the old numbering says nothing. */
  async forgetRead(wall: string): Promise<void> {
    if (!this.lastRead.delete(canon(wall))) return;
    await this.repo.saveMeta("lastRead", Object.fromEntries(this.lastRead));
  }

  /** Marks a wall read up to its cursor; false when there was nothing new. */
  async markRead(wall: string): Promise<boolean> {
    const cursor = this.log.cursorOf(wall);
    const read = this.lastRead.get(canon(wall)) ?? {};
    if (Object.entries(cursor).every(([stream, n]) => (read[stream] ?? 0) >= n)) return false;
    this.lastRead.set(canon(wall), { ...read, ...cursor });
    await this.repo.saveMeta("lastRead", Object.fromEntries(this.lastRead));
    return true;
  }
}
