// The rules, as pure functions and numbers: who may write what where, who may have which wall
// and which photo from me, how much a friend may ask of me, and how a wall's time is read.
// Nothing here keeps state or talks to anyone; the parts that do ask these functions.
import type { Body, CommentBody, DeleteBody, Kind, LikeBody, PostBody, WallEvent } from "./events";
import { canon, sameHandle } from "./handles";
import type { Refusal } from "./outcomes";
import { mayDelete } from "./wall";

/** What a friend may ask of my browser, per friend. */
export const PER_FRIEND = {
  /** Posts, comments, likes and deletes a friend may add to my wall, a minute and a day. */
  deliveriesPerMinute: 20,
  deliveriesPerDay: 300,
  /** Sync requests answered a minute (one a wall a friend holds, and then some). Whatever they ask,
   * an event is sent at most once a link: a repeated request gets only what is new since. */
  syncsPerMinute: 300,
  /** Photo requests answered a minute. */
  photoGetsPerMinute: 120,
  /** Bytes of the photos one friend's posts on my wall may keep in my browser. */
  photoBytes: 100 * 1024 * 1024,
  /** Bytes of other friends' walls I serve one friend an hour (carrying costs me bandwidth). */
  carriedWallBytesPerHour: 20 * 1024 * 1024,
  /** Writes of one friend I keep to carry to the walls' owners. */
  carriedWrites: 200,
} as const;

/** All the writes I carry for friends, together, by default; Settings may lower it. */
export const CARRY_BUDGET_BYTES = 4 * 1024 * 1024;

/** The largest photo a post may carry: a 2048 px image, even as PNG, stays below it. */
export const FULL_PHOTO_BYTES = 16 * 1024 * 1024;
/** Thumbnails are 400 px and fetched by every friend at once: small, or refused. */
export const THUMB_PHOTO_BYTES = 1024 * 1024;

/** The questions policy asks of the event log (state/eventLog.ts answers them). */
export interface WallReader {
  event(id: string): WallEvent | undefined;
  wallEvents(wall: string): Iterable<WallEvent>;
}

function deleted(log: WallReader, wall: string, id: string): boolean {
  for (const e of log.wallEvents(wall)) if (e.kind === "delete" && (e.body as DeleteBody).target === id) return true;
  return false;
}

/** Why ``author`` may not write this on ``wall`` as things stand, or null. */
export function writeRefusal(log: WallReader, wall: string, author: string, kind: Kind, body: Body): Refusal | null {
  const target = (id: string) => {
    const e = log.event(id);
    return e && sameHandle(e.wall, wall) ? e : undefined;
  };
  switch (kind) {
    case "post":
      return null;
    case "comment":
    case "like": {
      const id = kind === "comment" ? (body as CommentBody).post : (body as LikeBody).target;
      const post = target(id);
      if (!post || post.kind !== "post") return { code: "no-such-post" };
      return deleted(log, wall, post.id) ? { code: "post-deleted" } : null;
    }
    case "delete": {
      const victim = target((body as DeleteBody).target);
      if (!victim || victim.kind === "delete" || victim.kind === "friends") return { code: "nothing-to-delete" };
      return mayDelete(author, victim, wall) ? null : { code: "may-not-delete" };
    }
    case "friends":
      // A friend list is its owner's word about their own wall, and no one else's.
      return sameHandle(author, wall) ? null : { code: "only-the-owner" };
  }
}

/** A wall owner's signed friend list: their friends' canonical handles. */
export type FriendList = ReadonlySet<string>;

/**
 * Who may have wall ``wall`` from me (``peer`` is a trusted friend of mine): anyone, when it is
 * mine; its owner, who may want it back; and, as a carrier, those the owner's own signed friend
 * list names. Nothing reaches anyone who could not already read it.
 */
export function mayServeWall(wall: string, peer: string, me: string, list?: FriendList): boolean {
  if (sameHandle(peer, me)) return false;
  if (sameHandle(wall, me) || sameHandle(wall, peer)) return true;
  return list?.has(canon(peer)) ?? false;
}

/** May I hand ``peer`` my write for ``wall``, to carry to its owner? If the owner's list names them. */
export function mayCarryTo(wall: string, peer: string, list?: FriendList): boolean {
  return !sameHandle(wall, peer) && (list?.has(canon(peer)) ?? false);
}

/**
 * Do I carry ``event``, handed to me by ``from``, to its wall's owner? Only when the owner's list
 * names its author (they may write there) and whoever hands it on (a friend of the owner, as I
 * am), and I can check its author's signature myself (``authorIsMyFriend``): a carrier hands on
 * what its author wrote, never what it made up. Nothing reaches anyone who could not read it.
 */
export function mayCarryWrite(
  event: { wall: string; author: string },
  from: string,
  me: string,
  list: FriendList | undefined,
  authorIsMyFriend: boolean,
): boolean {
  if (sameHandle(event.wall, me) || sameHandle(event.author, me) || !list) return false;
  return authorIsMyFriend && list.has(canon(event.author)) && list.has(canon(from));
}

/** Whose copy of wall ``wall`` I accept from ``peer``: only the owner's own. */
export function mayAcceptWall(wall: string, peer: string): boolean {
  return sameHandle(wall, peer);
}

/** Where a photo in my browser came from: my own, or fetched for a post on ``wall``. */
export type PhotoOrigin = { mine: true } | { mine: false; wall: string };

/**
 * May ``peer`` (a friend) have this photo from me? My own photos, yes. A photo I fetched for a
 * post only to someone who may see that post's wall: my wall, theirs, or (as a carrier) a wall
 * whose owner's list names them; carried, only thumbnails, unless I chose to carry full images.
 * A friend who learns the hash of a photo on another friend's wall and posts it on mine gets
 * nothing from me.
 */
export function mayServePhoto(
  origin: PhotoOrigin,
  peer: string,
  me: string,
  carried?: { list?: FriendList; kind?: "full" | "thumb"; fullImages: boolean },
): boolean {
  if (origin.mine) return true;
  if (sameHandle(origin.wall, me) || sameHandle(origin.wall, peer)) return true;
  if (!carried?.list?.has(canon(peer))) return false;
  return carried.kind === "thumb" || carried.fullImages;
}

export interface PhotoSource {
  /** Friends who may send it: the wall's owner and the author of a post carrying it. */
  sources: string[];
  kind: "full" | "thumb";
  /** More than this is refused before a byte is received. */
  maxBytes: number;
  /** The wall of the post it is fetched for: its origin once stored. */
  wall: string;
  /** The friend whose photo budget it counts against (a post on my wall by them). */
  by?: string;
}

/**
 * Where a photo can come from, given the posts that carry it: the walls' owners and the posts'
 * authors who are my friends. A post on my own wall wins (that is what I keep and serve).
 */
export function photoSource(
  hash: string,
  posts: Iterable<WallEvent>,
  me: string,
  isFriend: (handle: string) => boolean,
  /** The friend who carried a post to me: they hold its thumbnails too. */
  carrier: (postId: string) => string | undefined = () => undefined,
): PhotoSource | null {
  let best: PhotoSource | null = null;
  for (const post of posts) {
    if (post.kind !== "post") continue;
    const photo = (post.body as PostBody).photos?.find((p) => p.full === hash || p.thumb === hash);
    if (!photo) continue;
    const via = carrier(post.id);
    const sources = [post.wall, post.author, ...(via ? [via] : [])].filter(
      (who, i, all) => !sameHandle(who, me) && isFriend(who) && all.findIndex((o) => sameHandle(o, who)) === i,
    );
    const onMine = sameHandle(post.wall, me);
    const kind = photo.thumb === hash ? "thumb" : "full";
    const candidate: PhotoSource = {
      sources,
      kind,
      maxBytes: kind === "thumb" ? THUMB_PHOTO_BYTES : FULL_PHOTO_BYTES,
      wall: post.wall,
      by: onMine && !sameHandle(post.author, me) ? post.author : undefined,
    };
    best = best === null ? candidate : better(best, candidate, me);
  }
  return best;
}

/**
 * Who else may have a photo: my other devices keep all I keep, and friends keep copies of the
 * photos on my wall (a browser restored from my phrase gets them back from them).
 */
export function widenSources(found: PhotoSource, me: string, ownDevices: boolean, friends: string[]): PhotoSource {
  const extra = [...(ownDevices ? [me] : []), ...(sameHandle(found.wall, me) ? friends : [])];
  return { ...found, sources: merge(found.sources, extra) };
}

/** Of two posts carrying a photo, the one on my wall decides its origin; the sources add up. */
function better(known: PhotoSource, other: PhotoSource, me: string): PhotoSource {
  const first = sameHandle(other.wall, me) && !sameHandle(known.wall, me) ? other : known;
  const second = first === known ? other : known;
  return { ...first, sources: merge(first.sources, second.sources) };
}

function merge(a: string[], b: string[]): string[] {
  const out = [...a];
  for (const x of b) if (!out.some((y) => sameHandle(x, y))) out.push(x);
  return out;
}

/** The photos that storing these posts calls for: thumbnails always, full images on my wall. */
export function photoNeeds(events: Iterable<WallEvent>, me: string): { hash: string; keep: boolean }[] {
  const needs: { hash: string; keep: boolean }[] = [];
  for (const event of events) {
    if (event.kind !== "post") continue;
    // Photos on my wall are my wall's: I keep them to serve them.
    const keep = sameHandle(event.wall, me);
    for (const photo of (event.body as PostBody).photos ?? []) {
      needs.push({ hash: photo.thumb, keep });
      if (keep) needs.push({ hash: photo.full, keep });
    }
  }
  return needs;
}

/** What ``photosLetGo`` reads of the event log. */
export interface PhotoPosts {
  event(id: string): WallEvent | undefined;
  postsWithPhoto(hash: string): WallEvent[];
  isDeleted(id: string): boolean;
}

/**
 * A photo eviction must spare: one a standing post on my wall names (I serve it), or one any
 * standing post names as a thumbnail (small, and what walls show). A friend naming a thumbnail
 * as a full image elsewhere does not make it evictable.
 */
export function keptPhoto(hash: string, me: string, log: PhotoPosts): boolean {
  return log
    .postsWithPhoto(hash)
    .some(
      (p) =>
        !log.isDeleted(p.id) &&
        (sameHandle(p.wall, me) || ((p.body as PostBody).photos ?? []).some((photo) => photo.thumb === hash)),
    );
}

/**
 * The photos that no post still standing names once these events landed: their bytes can go,
 * so that deleting old photo posts gives the space back.
 */
export function photosLetGo(events: Iterable<WallEvent>, log: PhotoPosts): string[] {
  const gone = new Set<string>();
  for (const e of events) {
    if (e.kind !== "delete") continue;
    const target = log.event((e.body as DeleteBody).target);
    if (!target || target.kind !== "post" || !log.isDeleted(target.id)) continue;
    for (const photo of (target.body as PostBody).photos ?? [])
      for (const hash of [photo.full, photo.thumb]) if (log.postsWithPhoto(hash).every((p) => log.isDeleted(p.id))) gone.add(hash);
  }
  return [...gone];
}

/**
 * When an event happened, for ordering: its author's clock, but never later than when I first
 * held it. A post dated a day ahead would otherwise sit on top of every feed for a day.
 */
export function orderTime(ts: number, firstHeld: number | undefined): number {
  return firstHeld !== undefined && firstHeld < ts ? firstHeld : ts;
}

/**
 * May an event whose author's key only the wall's owner vouches for be shown? Not when I
 * blocked that author: whatever a wall's owner says, someone I blocked stays out of my sight.
 */
export function mayShowVouchedAuthor(author: string, blocked: (handle: string) => boolean): boolean {
  return !blocked(author);
}
