// Notifications: what happened that concerns me (a friend request, a request accepted, a post on
// my wall, a comment or a like on my post), newest first, with seen marks kept across reloads.
import type { Repository } from "../../store/repository";
import type { CommentBody, LikeBody, WallEvent } from "../events";
import { sameHandle } from "../handles";
import type { WallReader } from "../policy";

export type NoticeKind = "post-on-my-wall" | "comment-on-my-post" | "like-on-my-post" | "friend-request" | "friend-accepted";

export interface Notice {
  id: string;
  kind: NoticeKind;
  /** Who did it, as they spell their handle. */
  who: string;
  at: number;
  /** Where to look: the wall of the post concerned. */
  wall?: string;
  seen: boolean;
}

const MAX_NOTICES = 100;
/** Events older than this when they reach me (a first catch-up of an old wall) are no news. */
const NEWS_MS = 7 * 24 * 3600_000;

export class Notices {
  private list: Notice[] = [];

  private constructor(
    private readonly me: string,
    private readonly repo: Repository,
    private readonly now: () => number,
  ) {}

  static async open(me: string, repo: Repository, now: () => number): Promise<Notices> {
    const notices = new Notices(me, repo, now);
    notices.list = (await repo.meta<Notice[]>("notices")) ?? [];
    return notices;
  }

  /** Newest first. */
  all(): readonly Notice[] {
    return this.list;
  }

  unseen(): number {
    return this.list.filter((n) => !n.seen).length;
  }

  /** The notices events just stored call for; ``log`` already holds them. Returns those added. */
  fromEvents(events: Iterable<WallEvent>, log: WallReader): Promise<Notice[]> {
    const fresh: Notice[] = [];
    const since = this.now() - NEWS_MS;
    for (const e of events) {
      if (sameHandle(e.author, this.me) || e.ts < since) continue;
      const kind = this.kindOf(e, log);
      if (kind) fresh.push({ id: `${kind}:${e.id}`, kind, who: e.author, at: Math.min(e.ts, this.now()), wall: e.wall, seen: false });
    }
    return this.add(fresh);
  }

  friendRequest(who: string): Promise<Notice[]> {
    const at = this.now();
    return this.add([{ id: `friend-request:${who.toLowerCase()}:${at}`, kind: "friend-request", who, at, seen: false }]);
  }

  friendAccepted(who: string): Promise<Notice[]> {
    const at = this.now();
    return this.add([{ id: `friend-accepted:${who.toLowerCase()}:${at}`, kind: "friend-accepted", who, at, seen: false }]);
  }

  /** Every notice is seen (the person opened the list); false when none was new. */
  async markSeen(): Promise<boolean> {
    if (!this.list.some((n) => !n.seen)) return false;
    this.list = this.list.map((n) => (n.seen ? n : { ...n, seen: true }));
    await this.repo.saveMeta("notices", this.list);
    return true;
  }

  private kindOf(e: WallEvent, log: WallReader): NoticeKind | null {
    const mine = (postId: string) => {
      const post = log.event(postId);
      return post?.kind === "post" && sameHandle(post.author, this.me);
    };
    switch (e.kind) {
      case "post":
        return sameHandle(e.wall, this.me) ? "post-on-my-wall" : null;
      case "comment":
        return mine((e.body as CommentBody).post) ? "comment-on-my-post" : null;
      case "like":
        return (e.body as LikeBody).on && mine((e.body as LikeBody).target) ? "like-on-my-post" : null;
      default:
        return null;
    }
  }

  private async add(fresh: Notice[]): Promise<Notice[]> {
    const known = new Set(this.list.map((n) => n.id));
    const added = fresh.filter((n) => !known.has(n.id));
    if (!added.length) return [];
    this.list = [...added, ...this.list].sort((a, b) => b.at - a.at).slice(0, MAX_NOTICES);
    await this.repo.saveMeta("notices", this.list);
    return added;
  }
}
