// A wall as people see it, derived from its events: posts newest first, each with its
// comments oldest first and who likes it; deleted things gone.
import { type CommentBody, type DeleteBody, type LikeBody, type PostBody, streamOf, type WallEvent } from "./events";
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
 * Events with a place come in the owner's order: each device's stream in its own order, the
 * streams merged by time (then by stream name), so every browser that holds the same events
 * shows them the same way. An author's pending ones follow by time. Events neither placed nor
 * pending are what I kept of the wall from before its owner's key changed (EventLog.unorder):
 * they precede the wall the owner serves now, by time.
 */
export function inOrder(events: WallEvent[], pending: ReadonlySet<string>): WallEvent[] {
  const byTime = (a: WallEvent, b: WallEvent) => a.ts - b.ts || (a.id < b.id ? -1 : 1);
  const streams = new Map<string, WallEvent[]>();
  const before: WallEvent[] = [];
  const after: WallEvent[] = [];
  for (const e of events) {
    if (e.seq === undefined) (pending.has(e.id) ? after : before).push(e);
    else {
      const stream = streamOf(e);
      let list = streams.get(stream);
      if (!list) streams.set(stream, (list = []));
      list.push(e);
    }
  }
  const lists = [...streams.entries()].map(([name, list]) => ({ name, list: list.sort((a, b) => a.seq! - b.seq!), at: 0 }));
  const placed: WallEvent[] = [];
  for (;;) {
    let next: (typeof lists)[number] | undefined;
    for (const s of lists) {
      if (s.at >= s.list.length) continue;
      const head = s.list[s.at]!;
      const best = next?.list[next.at];
      if (!best || head.ts < best.ts || (head.ts === best.ts && s.name < next!.name)) next = s;
    }
    if (!next) break;
    placed.push(next.list[next.at++]!);
  }
  return [...before.sort(byTime), ...placed, ...after.sort(byTime)];
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
  const sorted = inOrder([...events].filter((e) => sameHandle(e.wall, wall)), pending);
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
