// The peer protocol: the frames two browsers exchange over a data channel, and their checks.
// Everything here comes from another browser and is untrusted until it passes parseFrame.
import { checkShape, type Cursor, isDevice, isHandle, isId, type SignedEvent, type WallEvent } from "./events";

export const PROTOCOL_VERSION = 1;
/** PeerJS's json serialization drops messages of 16,300 bytes or more; stay well below. */
export const MAX_FRAME_BYTES = 16_000;
export const BATCH_BYTES = 14_000;
/** Walls one ``have`` frame may name. */
export const MAX_HAVE = 150;

export type Frame =
  | { t: "hello"; v: number; handle: string; key: string; nonce: string }
  | { t: "proof"; sig: string }
  | { t: "friend-request" }
  | { t: "friend-accept" }
  | { t: "friend-decline" }
  | { t: "unfriend" }
  /** Everything of a wall beyond ``since``, stream by stream. */
  | { t: "sync"; wall: string; since: Cursor }
  /**
   * A batch of a catch-up. ``bsig``: the wall's owner's signature over the batch (batchContent),
   * when the owner serves it. ``batchKey`` never comes from the wire: the decoder sets it to the
   * key ``bsig`` verified with (sync/decode/).
   */
  | {
      t: "events";
      wall: string;
      events: WallEvent[];
      keys: Record<string, string>;
      upto: number;
      done: boolean;
      bsig?: string;
      batchKey?: string;
    }
  /** I handled ``n`` more of your ``events`` frames: you may send as many more (WallSync's window). */
  | { t: "credit"; n: number }
  | { t: "event"; event: WallEvent; keys: Record<string, string> }
  | { t: "deliver"; event: SignedEvent }
  | { t: "ack"; id: string; seq: number; osig?: string; dev?: string }
  | { t: "nack"; id: string; reason: string }
  | { t: "blob-get"; hash: string; from: number }
  | { t: "blob-info"; hash: string; size: number; mime: string }
  | { t: "blob-none"; hash: string; reason: string }
  /** Walls I hold and may serve you (their owners' friend lists name you), with how far each runs. */
  | { t: "have"; walls: Record<string, number> }
  /** My write for a wall whose owner is your friend: carry it to them. */
  | { t: "carry"; event: SignedEvent }
  | { t: "ping"; n: number }
  | { t: "pong"; n: number }
  // Linking a new browser of mine (protocol/linking.ts): it asks, proves the code, gets the key.
  | { t: "link-ask"; nonce: string; name: string }
  | { t: "link-challenge"; nonce: string }
  | { t: "link-proof"; mac: string }
  | { t: "link-grant"; mac: string; iv: string; box: string }
  | { t: "link-refused"; reason: LinkRefusal }
  // Between my own devices (protocol/selfSync.ts): my friends and my devices, checked on merge.
  | { t: "book"; friends: unknown[]; forgotten?: Record<string, number> }
  | { t: "devices"; devices: unknown[] };

export type LinkRefusal = "no-code" | "wrong-code" | "expired" | "spent";
const LINK_REFUSALS: ReadonlySet<string> = new Set(["no-code", "wrong-code", "expired", "spent"]);
/** Friend records one ``book`` frame carries (each well under 300 bytes). */
export const BOOK_BATCH = 40;
const MAC_RE = /^[A-Za-z0-9_-]{43}$/;
const B64_RE = /^[A-Za-z0-9_-]{1,12000}$/;

const KEY_RE = /^[A-Za-z0-9_-]{43}$/;
const PHOTO_MIME = /^image\/(jpeg|png|webp|gif)$/;
const HASH_RE = /^[0-9a-f]{64}$/;

function isHash(value: unknown): value is string {
  return typeof value === "string" && HASH_RE.test(value);
}
const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;
const SIG_RE = /^[A-Za-z0-9_-]{86}$/;

export function isKey(value: unknown): value is string {
  return typeof value === "string" && KEY_RE.test(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Streams one cursor may name: far more than anyone's devices. */
export const MAX_STREAMS = 64;

/** A cursor from a peer: a stream name ("" for a wall written before devices) to a place. */
function asCursor(value: unknown): Cursor | null {
  // A bare number is the cursor of a wall's one stream before devices.
  if (isSeq(value)) return { "": value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (entries.length > MAX_STREAMS) return null;
  const out: Cursor = {};
  for (const [stream, n] of entries) {
    if ((stream !== "" && !isDevice(stream)) || !isSeq(n)) return null;
    out[stream] = n;
  }
  return out;
}

function keysProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "bad keys";
  const entries = Object.entries(value);
  if (entries.length > 200) return "too many keys";
  return entries.every(([h, k]) => isHandle(h) && isKey(k)) ? null : "bad key entry";
}

export type Parsed = { ok: true; frame: Frame } | { ok: false; reason: string };

const fail = (reason: string): Parsed => ({ ok: false, reason });

/** Checks a frame's shape; signatures and friendship are the engine's to check. */
export function parseFrame(raw: unknown, now: number = Date.now()): Parsed {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("frame is not an object");
  const f = raw as Record<string, unknown>;
  switch (f.t) {
    case "hello":
      if (f.v !== PROTOCOL_VERSION) return fail(`unsupported protocol version ${String(f.v).slice(0, 8)}`);
      if (!isHandle(f.handle) || !isKey(f.key) || typeof f.nonce !== "string" || !NONCE_RE.test(f.nonce))
        return fail("malformed hello");
      return { ok: true, frame: { t: "hello", v: f.v, handle: f.handle, key: f.key, nonce: f.nonce } };
    case "proof":
      return typeof f.sig === "string" && SIG_RE.test(f.sig)
        ? { ok: true, frame: { t: "proof", sig: f.sig } }
        : fail("malformed proof");
    case "friend-request":
    case "friend-accept":
    case "friend-decline":
    case "unfriend":
      return { ok: true, frame: { t: f.t } };
    case "sync": {
      const since = asCursor(f.since);
      return isHandle(f.wall) && since
        ? { ok: true, frame: { t: "sync", wall: f.wall, since } }
        : fail("malformed sync");
    }
    case "events": {
      if (!isHandle(f.wall) || !isSeq(f.upto) || typeof f.done !== "boolean" || !Array.isArray(f.events))
        return fail("malformed events");
      if (f.events.length > 500) return fail("too many events in one batch");
      const keys = keysProblem(f.keys);
      if (keys) return fail(keys);
      for (const e of f.events) {
        const problem = checkShape(e, now);
        if (problem) return fail(`bad event in batch: ${problem}`);
        if ((e as WallEvent).seq === undefined) return fail("batched event without seq");
      }
      if (f.bsig !== undefined && (typeof f.bsig !== "string" || !SIG_RE.test(f.bsig))) return fail("malformed batch signature");
      return {
        ok: true,
        frame: {
          t: "events",
          wall: f.wall,
          events: f.events as WallEvent[],
          keys: f.keys as Record<string, string>,
          upto: f.upto,
          done: f.done,
          ...(f.bsig === undefined ? {} : { bsig: f.bsig }),
        },
      };
    }
    case "event": {
      const problem = checkShape(f.event, now) ?? keysProblem(f.keys);
      if (problem) return fail(`bad live event: ${problem}`);
      if ((f.event as WallEvent).seq === undefined) return fail("live event without seq");
      return { ok: true, frame: { t: "event", event: f.event as WallEvent, keys: f.keys as Record<string, string> } };
    }
    case "deliver": {
      const problem = checkShape(f.event, now);
      if (problem) return fail(`bad delivery: ${problem}`);
      if ((f.event as WallEvent).seq !== undefined) return fail("a delivery must not carry a seq");
      return { ok: true, frame: { t: "deliver", event: f.event as SignedEvent } };
    }
    case "ack":
      if (!isId(f.id) || !isSeq(f.seq) || f.seq <= 0) return fail("malformed ack");
      if (f.osig !== undefined && (typeof f.osig !== "string" || !SIG_RE.test(f.osig))) return fail("malformed ack");
      if (f.dev !== undefined && !isDevice(f.dev)) return fail("malformed ack");
      return {
        ok: true,
        frame: {
          t: "ack",
          id: f.id,
          seq: f.seq,
          ...(f.osig !== undefined ? { osig: f.osig as string } : {}),
          ...(f.dev !== undefined ? { dev: f.dev as string } : {}),
        },
      };
    case "have": {
      if (typeof f.walls !== "object" || f.walls === null || Array.isArray(f.walls)) return fail("malformed have");
      const entries = Object.entries(f.walls);
      if (entries.length > MAX_HAVE || !entries.every(([h, n]) => isHandle(h) && isSeq(n))) return fail("malformed have");
      return { ok: true, frame: { t: "have", walls: f.walls as Record<string, number> } };
    }
    case "carry": {
      const problem = checkShape(f.event, now);
      if (problem) return fail(`bad carried event: ${problem}`);
      if ((f.event as WallEvent).seq !== undefined) return fail("a carried event must not carry a seq");
      return { ok: true, frame: { t: "carry", event: f.event as SignedEvent } };
    }
    case "blob-get":
      return isHash(f.hash) && isSeq(f.from)
        ? { ok: true, frame: { t: "blob-get", hash: f.hash, from: f.from } }
        : fail("malformed blob-get");
    case "blob-info":
      return isHash(f.hash) && isSeq(f.size) && typeof f.mime === "string" && PHOTO_MIME.test(f.mime)
        ? { ok: true, frame: { t: "blob-info", hash: f.hash, size: f.size, mime: f.mime } }
        : fail("malformed blob-info");
    case "blob-none":
      return isHash(f.hash) && typeof f.reason === "string"
        ? { ok: true, frame: { t: "blob-none", hash: f.hash, reason: f.reason.slice(0, 200) } }
        : fail("malformed blob-none");
    case "ping":
    case "pong":
      return isSeq(f.n) ? { ok: true, frame: { t: f.t, n: f.n } } : fail(`malformed ${f.t}`);
    case "link-ask":
      return typeof f.nonce === "string" && NONCE_RE.test(f.nonce) && typeof f.name === "string"
        ? { ok: true, frame: { t: "link-ask", nonce: f.nonce, name: f.name.slice(0, 40) } }
        : fail("malformed link-ask");
    case "link-challenge":
      return typeof f.nonce === "string" && NONCE_RE.test(f.nonce)
        ? { ok: true, frame: { t: "link-challenge", nonce: f.nonce } }
        : fail("malformed link-challenge");
    case "link-proof":
      return typeof f.mac === "string" && MAC_RE.test(f.mac) ? { ok: true, frame: { t: "link-proof", mac: f.mac } } : fail("malformed link-proof");
    case "link-grant":
      return typeof f.mac === "string" && MAC_RE.test(f.mac) && typeof f.iv === "string" && B64_RE.test(f.iv) && typeof f.box === "string" && B64_RE.test(f.box)
        ? { ok: true, frame: { t: "link-grant", mac: f.mac, iv: f.iv, box: f.box } }
        : fail("malformed link-grant");
    case "link-refused":
      return typeof f.reason === "string" && LINK_REFUSALS.has(f.reason)
        ? { ok: true, frame: { t: "link-refused", reason: f.reason as LinkRefusal } }
        : fail("malformed link-refused");
    case "book": {
      const forgotten = f.forgotten ?? {};
      const entries = typeof forgotten === "object" && forgotten !== null && !Array.isArray(forgotten) ? Object.entries(forgotten) : null;
      if (!Array.isArray(f.friends) || f.friends.length > BOOK_BATCH || !entries || entries.length > BOOK_BATCH * 10) return fail("malformed book");
      if (!entries.every(([h, at]) => isHandle(h) && isSeq(at))) return fail("malformed book");
      return { ok: true, frame: { t: "book", friends: f.friends, forgotten: Object.fromEntries(entries) as Record<string, number> } };
    }
    case "devices":
      return Array.isArray(f.devices) && f.devices.length <= 32
        ? { ok: true, frame: { t: "devices", devices: f.devices } }
        : fail("malformed devices");
    case "credit":
      return Number.isSafeInteger(f.n) && (f.n as number) >= 1 && (f.n as number) <= 1000
        ? { ok: true, frame: { t: "credit", n: f.n as number } }
        : fail("malformed credit");
    case "nack":
      return isId(f.id) && typeof f.reason === "string"
        ? { ok: true, frame: { t: "nack", id: f.id, reason: f.reason.slice(0, 200) } }
        : fail("malformed nack");
    default:
      return fail(`unknown frame type ${JSON.stringify(f.t)?.slice(0, 32)}`);
  }
}

/** An ``events`` frame, and about how many characters it takes as JSON (before any ``bsig``). */
export interface Batch {
  frame: Extract<Frame, { t: "events" }>;
  size: number;
}

/**
 * Splits events into ``events`` frames that each stay under the data channel's limit, one at a
 * time as they are sent (a catch-up of 50,000 events is never all framed at once).
 */
export function* batchEvents(
  wall: string,
  events: Iterable<WallEvent>,
  keyOf: (author: string) => string | undefined,
  upto: number,
): Generator<Batch> {
  const FRAME_CHARS = 100 + wall.length;
  let batch: WallEvent[] = [];
  let keys: Record<string, string> = {};
  let size = FRAME_CHARS;
  const frame = (done: boolean): Batch => {
    const last = batch.at(-1)?.seq ?? upto;
    const out: Batch = { frame: { t: "events", wall, events: batch, keys, upto: done ? upto : last, done }, size };
    batch = [];
    keys = {};
    size = FRAME_CHARS;
    return out;
  };
  for (const event of events) {
    const key = keys[event.author] ? undefined : keyOf(event.author);
    const grow = JSON.stringify(event).length + 1 + (key ? event.author.length + 50 : 0);
    if (batch.length && size + grow > BATCH_BYTES) yield frame(false);
    batch.push(event);
    size += grow;
    if (key) keys[event.author] = key;
  }
  yield frame(true);
}
