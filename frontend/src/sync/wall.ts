// A wall as people see it, derived from its events: posts newest first, each with its
// comments oldest first and who likes it; deleted things gone.
import type { CommentBody, DeleteBody, LikeBody, PostBody, WallEvent } from "./events";
import { canon, sameHandle } from "./handles";

export interface CommentView {
  event: WallEvent & { body: CommentBody };
  pending: boolean;
  /** The friend who carried it to me, while the wall's owner has not confirmed it. */
  via?: string;
}

export interface PostView {
  event: WallEvent & { body: PostBody };
  pending: boolean;
  via?: string;
  comments: CommentView[];
  likes: string[];
}

/**
 * Events with a seq come in the owner's order; an author's pending ones follow by time. Events
 * neither ordered nor pending are what I kept of the wall from before its owner's key changed
 * (EventLog.unorder): they precede the wall the owner serves now, by time.
 */
function order(pending: ReadonlySet<string>): (a: WallEvent, b: WallEvent) => number {
  const rank = (e: WallEvent) => (e.seq !== undefined ? 1 : pending.has(e.id) ? 2 : 0);
  return (a, b) => {
    if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq;
    return rank(a) - rank(b) || a.ts - b.ts || (a.id < b.id ? -1 : 1);
  };
}

/** May ``author`` delete ``target`` on ``wall``? Its author, or the wall's owner. */
export function mayDelete(author: string, target: WallEvent, wall: string): boolean {
  return sameHandle(author, target.author) || sameHandle(author, wall);
}

/** Does this delete event remove ``target``? Only on the target's own wall, by someone allowed, and never a delete. */
export function removes(deletion: WallEvent, target: WallEvent): boolean {
  return (
    deletion.kind === "delete" &&
    target.kind !== "delete" &&
    sameHandle(deletion.wall, target.wall) &&
    mayDelete(deletion.author, target, target.wall)
  );
}

export function buildWall(
  wall: string,
  events: Iterable<WallEvent>,
  pending: ReadonlySet<string>,
  via: (id: string) => string | undefined = () => undefined,
): PostView[] {
  const sorted = [...events].filter((e) => sameHandle(e.wall, wall)).sort(order(pending));
  const byId = new Map(sorted.map((e) => [e.id, e]));
  const deleted = new Set<string>();
  for (const e of sorted) {
    if (e.kind !== "delete") continue;
    const target = byId.get((e.body as DeleteBody).target);
    if (target && removes(e, target)) deleted.add(target.id);
  }

  const posts = new Map<string, PostView>();
  // Who likes what, by canonical handle (one like a person, whatever the spelling), last word wins.
  const likeState = new Map<string, Map<string, { who: string; on: boolean }>>();
  for (const e of sorted) {
    if (deleted.has(e.id)) continue;
    if (e.kind === "post") {
      posts.set(e.id, { event: e as PostView["event"], pending: pending.has(e.id), via: via(e.id), comments: [], likes: [] });
    }
  }
  for (const e of sorted) {
    if (deleted.has(e.id)) continue;
    if (e.kind === "comment") {
      const post = posts.get((e.body as CommentBody).post);
      if (post) post.comments.push({ event: e as CommentView["event"], pending: pending.has(e.id), via: via(e.id) });
    } else if (e.kind === "like") {
      const { target, on } = e.body as LikeBody;
      if (!posts.has(target)) continue;
      let state = likeState.get(target);
      if (!state) likeState.set(target, (state = new Map()));
      state.set(canon(e.author), { who: e.author, on }); // later events win: the list is in order
    }
  }
  for (const [target, state] of likeState) {
    const post = posts.get(target)!;
    post.likes = [...state.values()].filter(({ on }) => on).map(({ who }) => who);
  }
  return [...posts.values()].reverse();
}
