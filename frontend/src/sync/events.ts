// Events: everything on a wall is one, signed by its author. Shapes, limits, signing, checks.
import { canonicalJson, randomId } from "../crypto/encoding";
import { type Identity, sign, verify } from "../crypto/identity";

export type Kind = "post" | "comment" | "like" | "delete" | "friends";

/** A photo on a post: the event carries the hashes, never the bytes. */
export interface PhotoRef {
  /** The downscaled image (long side at most 2048 px). */
  full: string;
  /** A small preview, fetched at once by everyone who syncs the post. */
  thumb: string;
  mime: "image/jpeg" | "image/png" | "image/webp" | "image/gif";
  w: number;
  h: number;
}

export interface PostBody { text: string; photos?: PhotoRef[] }
export interface CommentBody { post: string; text: string }
export interface LikeBody { target: string; on: boolean }
export interface DeleteBody { target: string }
/** A wall owner's friends: who may read the wall, and so whom a carrier may serve it to. */
export interface FriendsBody {
  friends: string[];
  /** My devices I removed: friends stop talking to them (they still hold my key). */
  removed?: string[];
}
export type Body = PostBody | CommentBody | LikeBody | DeleteBody | FriendsBody;

/** What the author signs. */
export interface UnsignedEvent {
  id: string;
  wall: string;
  author: string;
  kind: Kind;
  ts: number;
  body: Body;
}

export interface SignedEvent extends UnsignedEvent { sig: string }

/**
 * As stored and served: ``seq`` is the event's place on its wall, given by the wall's owner, and
 * ``osig`` the owner's signature over that place (orderContent), so that a friend who carries the
 * wall can neither forge, reorder nor quietly drop a range of it.
 */
export interface WallEvent extends SignedEvent {
  seq?: number;
  osig?: string;
  /**
   * The owner's device that gave the place: each device numbers its own stream, so devices
   * writing apart never give two events one place. Absent: the stream of a wall written
   * before devices (one browser), which is stream "".
   */
  dev?: string;
}

/** A device's part of its peer id (``handle-device``), and the name of the stream it numbers. */
export const DEVICE_RE = /^[a-z0-9]{1,8}$/;

export function isDevice(value: unknown): value is string {
  return typeof value === "string" && DEVICE_RE.test(value);
}

/** The stream an event's place belongs to. */
export function streamOf(event: WallEvent): string {
  return event.dev ?? "";
}

/** How far each stream of a wall runs without a gap: a catch-up's "since". */
export type Cursor = Record<string, number>;

export const LIMITS = {
  postText: 5000,
  commentText: 2000,
  photos: 10,
  photoSide: 4096,
  idLength: 64,
  handleLength: 15,
  /** Far above any honest event, well below a data channel message. */
  eventBytes: 12_000,
  /** Clock skew we accept from an author, in the future. */
  futureSkewMs: 24 * 3600_000,
  /** Friends named in one signed friend list (it must fit in one event). */
  friends: 500,
  /** Removed devices named in one friend list. */
  devices: 32,
} as const;

const HANDLE_RE = /^[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*$/;
const SIG_RE = /^[A-Za-z0-9_-]{86}$/;
const KINDS: ReadonlySet<Kind> = new Set(["post", "comment", "like", "delete", "friends"]);
const ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
const HASH_RE = /^[0-9a-f]{64}$/;

export function isHandle(value: unknown): value is string {
  return typeof value === "string" && value.length <= LIMITS.handleLength && HANDLE_RE.test(value);
}

export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_RE.test(value);
}

export function signedContent(event: UnsignedEvent): string {
  const { id, wall, author, kind, ts, body } = event;
  return canonicalJson({ v: 1, id, wall, author, kind, ts, body });
}

/**
 * What a wall's owner signs to give an event its place: the wall, the place, and the whole event
 * with its author's signature. The owner checked the author's signature before placing it, so an
 * event whose place verifies is the one the owner took, word for word, whoever carries it.
 */
export function orderContent(event: SignedEvent, seq: number, dev?: string): string {
  const { id, wall, author, kind, ts, body, sig } = event;
  // A device's stream is part of the place; a wall written before devices signs none.
  const place = dev ? { seq, dev } : { seq };
  return canonicalJson({ p: "peerwall-order", v: 1, wall: wall.toLowerCase(), ...place, event: { id, wall, author, kind, ts, body, sig } });
}

/** The event in its place on the owner's wall (``dev``'s stream), the place signed by ``owner``. */
export async function ordered(owner: Identity, event: SignedEvent, seq: number, dev?: string): Promise<WallEvent> {
  const signed = stripSeq(event);
  const osig = await sign(owner, orderContent(signed, seq, dev || undefined));
  return dev ? { ...signed, seq, dev, osig } : { ...signed, seq, osig };
}

/**
 * What a wall's owner signs over one batch of a catch-up they serve (``bsig``): the wall and its
 * events word for word, places and place signatures included. One signature checks a whole batch
 * where one per event would bound the catch-up by the browser's signature checks (bench/README.md).
 * It vouches for the batch only to the friend it is served to: a carrier passes events on with
 * their own place signatures, which the next friend checks one by one.
 */
export function batchContent(wall: string, events: readonly WallEvent[]): string {
  return canonicalJson({ p: "peerwall-batch", v: 1, wall: wall.toLowerCase(), events });
}

/** Does the owner's key vouch for this event's place on its wall? */
export function verifyOrder(event: WallEvent, ownerKey: string): Promise<boolean> {
  if (event.seq === undefined || !event.osig) return Promise.resolve(false);
  return verify(ownerKey, orderContent(event, event.seq, event.dev), event.osig);
}

export async function createEvent(
  identity: Identity,
  author: string,
  wall: string,
  kind: Kind,
  body: Body,
  now: number = Date.now(),
): Promise<SignedEvent> {
  const unsigned: UnsignedEvent = { id: randomId(), wall, author, kind, ts: now, body };
  const problem = checkShape({ ...unsigned, sig: "x".repeat(86) }, now);
  if (problem) throw new Error(problem);
  return { ...unsigned, sig: await sign(identity, signedContent(unsigned)) };
}

const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

function isPhotoRef(value: unknown): value is PhotoRef {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const p = value as Record<string, unknown>;
  const side = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= LIMITS.photoSide;
  return (
    Object.keys(p).every((k) => ["full", "thumb", "mime", "w", "h"].includes(k)) &&
    typeof p.full === "string" &&
    HASH_RE.test(p.full) &&
    typeof p.thumb === "string" &&
    HASH_RE.test(p.thumb) &&
    typeof p.mime === "string" &&
    PHOTO_TYPES.has(p.mime) &&
    side(p.w) &&
    side(p.h)
  );
}

function isText(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length <= max;
}

function checkBody(kind: Kind, body: Record<string, unknown>): string | null {
  const keys = Object.keys(body);
  const only = (...allowed: string[]) => keys.every((k) => allowed.includes(k));
  switch (kind) {
    case "post": {
      if (!only("text", "photos")) return "post body has unknown fields";
      if (!isText(body.text, LIMITS.postText)) return "post text missing or too long";
      if (body.photos !== undefined) {
        if (!Array.isArray(body.photos) || body.photos.length > LIMITS.photos) return "bad photo list";
        if (!body.photos.every(isPhotoRef)) return "bad photo";
      }
      if (!body.text.trim() && !(Array.isArray(body.photos) && body.photos.length)) return "empty post";
      return null;
    }
    case "comment":
      if (!only("post", "text")) return "comment body has unknown fields";
      if (!isId(body.post)) return "comment names no post";
      if (!isText(body.text, LIMITS.commentText) || !body.text.trim()) return "comment text missing or too long";
      return null;
    case "like":
      if (!only("target", "on")) return "like body has unknown fields";
      if (!isId(body.target) || typeof body.on !== "boolean") return "bad like";
      return null;
    case "delete":
      if (!only("target")) return "delete body has unknown fields";
      if (!isId(body.target)) return "delete names no target";
      return null;
    case "friends": {
      if (!only("friends", "removed")) return "friend list has unknown fields";
      const list = body.friends;
      if (!Array.isArray(list) || list.length > LIMITS.friends) return "bad friend list";
      const removed = body.removed;
      if (removed !== undefined && (!Array.isArray(removed) || removed.length > LIMITS.devices || !removed.every(isDevice)))
        return "bad list of removed devices";
      return list.every(isHandle) ? null : "bad friend in list";
    }
  }
}

/** Why ``value`` is not a well-formed event, or null. Signatures are checked separately. */
export function checkShape(value: unknown, now: number = Date.now()): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not an object";
  const e = value as Record<string, unknown>;
  const allowed = ["id", "wall", "author", "kind", "ts", "body", "sig", "seq", "osig", "dev"];
  if (!Object.keys(e).every((k) => allowed.includes(k))) return "unknown fields";
  if (!isId(e.id)) return "bad id";
  if (!isHandle(e.wall)) return "bad wall";
  if (!isHandle(e.author)) return "bad author";
  if (!KINDS.has(e.kind as Kind)) return "unknown kind";
  if (typeof e.ts !== "number" || !Number.isSafeInteger(e.ts) || e.ts < 0) return "bad timestamp";
  if (e.ts > now + LIMITS.futureSkewMs) return "timestamp in the future";
  if (typeof e.sig !== "string" || !SIG_RE.test(e.sig)) return "bad signature encoding";
  if (e.seq !== undefined && (typeof e.seq !== "number" || !Number.isSafeInteger(e.seq) || e.seq < 1)) return "bad seq";
  if (e.dev !== undefined && (!isDevice(e.dev) || e.seq === undefined)) return "bad device stream";
  if (e.osig !== undefined && (typeof e.osig !== "string" || !SIG_RE.test(e.osig))) return "bad order signature encoding";
  if (typeof e.body !== "object" || e.body === null || Array.isArray(e.body)) return "bad body";
  const bodyProblem = checkBody(e.kind as Kind, e.body as Record<string, unknown>);
  if (bodyProblem) return bodyProblem;
  if (JSON.stringify(e).length > LIMITS.eventBytes) return "event too large";
  return null;
}

export function verifyEvent(event: SignedEvent, authorKey: string): Promise<boolean> {
  return verify(authorKey, signedContent(event), event.sig);
}

/** The signed event without the owner's bookkeeping, e.g. for delivering it again. */
export function stripSeq(event: WallEvent): SignedEvent {
  const { seq: _seq, osig: _osig, dev: _dev, ...signed } = event;
  return signed;
}
