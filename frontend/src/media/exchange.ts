// Photos between friends: fetched by hash, in chunks, with back-pressure, verified (the hash, the
// size, that the bytes are an image) before they are stored or shown, resumed after a broken link
// from the last byte received, and moved to another friend when one stalls. Served only to those
// policy allows (sync/policy.ts mayServePhoto), at the rate their budget allows. What is stored,
// shown and evicted here is the PhotoCache's (photoCache.ts).
import type { BlobRecord } from "../store/db";
import { storageFaultOf } from "../store/faults";
import type { Repository } from "../store/repository";
import type { BlobFrame, PhotoHost, PhotoLink, PhotoPort } from "../sync/photoPort";
import type { PhotoOrigin, PhotoSource } from "../sync/policy";
import { Assembly, chunksOf, decodeChunk, HEADER_BYTES } from "./chunks";
import { sha256Hex } from "./hash";
import { PhotoCache } from "./photoCache";
import { imageTypeOf } from "./sniff";

/** The sender pauses while more than this waits in the channel's buffer (it resumes when the
 * link says the buffer drained below its low-water mark, 1 MiB). */
export const HIGH_WATER = 2 * 1024 * 1024;
/** A source that announced a photo and then sends nothing for this long has stalled. */
export const STALL_MS = 15_000;
const PROGRESS_MS = 100;
const MAX_ATTEMPTS = 3;
const MAX_NOT_YET = 10;
const NOT_YET_RETRY_MS = 1000;

/** Why a photo is not here, for the views' words (ui/words.ts photoProblemWords). */
export type PhotoProblem =
  | { code: "offline"; sources: string[] }
  | { code: "nobody-has-it" }
  | { code: "not-shared"; from: string }
  | { code: "bad-copies" }
  | { code: "too-large"; from: string; size: number }
  | { code: "over-budget"; by: string }
  | { code: "not-an-image" }
  | { code: "stalled"; from: string }
  | { code: "no-room" };

export type BlobStatus =
  | { state: "stored" }
  | { state: "fetching"; from: string; received: number; size: number }
  | { state: "waiting"; problem: PhotoProblem }
  | { state: "failed"; problem: PhotoProblem }
  | { state: "unknown" };

export interface Upload {
  peer: string;
  hash: string;
  sent: number;
  size: number;
}

/** The reasons a source gives for not sending a photo (``blob-none``). */
export const NONE = { notShared: "not-shared", notYet: "not-yet", busy: "busy" } as const;

interface Want {
  hash: string;
  source: PhotoSource;
  keep: boolean;
  assembly?: Assembly;
  mime?: string;
  from?: string;
  /** Sources that refused or stalled this time round; the others are tried first. */
  skip: Set<string>;
  attempts: number;
  failed?: PhotoProblem;
  stall?: ReturnType<typeof setTimeout>;
}

interface Job {
  hash: string;
  from: number;
}

export class BlobExchange implements PhotoPort {
  private readonly wants = new Map<string, Want>();
  /** What is stored here, shown through object URLs, and trimmed to the cap. */
  private readonly cache: PhotoCache;
  private readonly queues = new Map<string, Job[]>();
  private readonly pumping = new Set<string>();
  private readonly drained = new Map<string, () => void>();
  private readonly sending = new Map<string, Upload>();
  private readonly listeners = new Set<() => void>();
  /** Bytes of photos each friend's posts keep on my wall (their budget), loaded on first use. */
  private budgetUse?: Promise<Map<string, number>>;
  version = 0;

  constructor(
    private readonly repo: Repository,
    private readonly host: PhotoHost,
    /** How long a source may go quiet in the middle of a photo (tests shorten it). */
    private readonly stallMs = STALL_MS,
  ) {
    this.cache = new PhotoCache(repo, (hash) => host.kept(hash), () => this.changed());
    repo.onRoom(() => {
      for (const want of [...this.wants.values()]) {
        if (want.failed?.code !== "no-room") continue;
        this.wants.delete(want.hash);
        void this.want(want.hash, want.keep);
      }
    });
  }

  // --- for the views ------------------------------------------------------------------

  /** Called when anything a view shows of photos changed (progress, arrival, failure). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  /**
   * One of my own photos as a record to store with the post that names it (Engine.post), so
   * that neither lands without the other; ``adopt`` it once that post is stored.
   */
  async mineRecord(bytes: Uint8Array<ArrayBuffer>, mime: string): Promise<BlobRecord> {
    const hash = await sha256Hex(bytes);
    return { hash, bytes: bytes.buffer, mime, size: bytes.length, mine: true, storedAt: Date.now() };
  }

  /** These photos of mine were stored (with their post): they are served and shown from now on. */
  adopt(hashes: string[]): void {
    this.cache.add(hashes);
  }

  /** Stores one of my own photos on its own; resolves to its hash once it is on disk. */
  async storeMine(bytes: Uint8Array<ArrayBuffer>, mime: string): Promise<string> {
    const record = await this.mineRecord(bytes, mime);
    await this.repo.saveBlob(record);
    this.adopt([record.hash]);
    return record.hash;
  }

  /** An object URL for a stored blob, made once; null while it is not here. */
  url(hash: string): Promise<string | null> {
    return this.cache.url(hash);
  }

  /** Forgets stored blobs (after space was freed): they are fetched again when wanted. */
  forgetCached(): void {
    this.budgetUse = undefined;
    this.cache.forgetAll();
  }

  /** Deletes photos no standing post names any more (a deleted photo post); the bytes freed. */
  async release(hashes: string[]): Promise<number> {
    for (const hash of hashes) {
      const want = this.wants.get(hash);
      if (want) this.stopClock(want);
      this.wants.delete(hash);
    }
    const freed = await this.repo.deleteBlobs(hashes);
    this.budgetUse = undefined;
    this.cache.forget(hashes);
    return freed;
  }

  /** The most friends' full-size photos may take here (bytes; Infinity: no cap). */
  photoCap(): Promise<number> {
    return this.cache.photoCap();
  }

  setPhotoCap(bytes: number): Promise<number> {
    return this.cache.setPhotoCap(bytes);
  }

  /** Lets friends' full-size photos seen least recently go until they fit the cap; the bytes freed. */
  trim(): Promise<number> {
    return this.cache.trim();
  }

  isStored(hash: string): Promise<boolean> {
    return this.cache.isStored(hash);
  }

  status(hash: string): BlobStatus {
    if (this.cache.has(hash)) return { state: "stored" };
    const want = this.wants.get(hash);
    if (!want) return { state: "unknown" };
    if (want.failed) return { state: "failed", problem: want.failed };
    if (want.from && want.assembly)
      return { state: "fetching", from: want.from, received: want.assembly.received, size: want.assembly.size };
    if (want.from) return { state: "fetching", from: want.from, received: 0, size: 0 };
    if (!want.source.sources.length) return { state: "waiting", problem: { code: "nobody-has-it" } };
    return { state: "waiting", problem: { code: "offline", sources: want.source.sources } };
  }

  uploads(): Upload[] {
    return [...this.sending.values()];
  }

  /** Shows a photo: fetched from the friends who have it unless it is here. False if nobody has it. */
  async show(hash: string): Promise<boolean> {
    if (await this.isStored(hash)) return true;
    return this.want(hash, false);
  }

  /** Tries a failed photo again from the start, as if it had never been asked for. */
  async retry(hash: string): Promise<void> {
    const want = this.wants.get(hash);
    if (want) {
      this.stopClock(want);
      this.wants.delete(hash);
    }
    await this.want(hash, false);
  }

  // --- the core's news ----------------------------------------------------------------

  need(photos: { hash: string; keep: boolean }[]): void {
    for (const photo of photos) void this.want(photo.hash, photo.keep);
  }

  /** A friend's link became trusted: resume what we wanted from them. */
  trusted(peer: string): void {
    for (const want of this.wants.values()) {
      // Who may have it changes as friends come back (a restored browser learns them late).
      if (!want.from) want.source = this.host.source(want.hash) ?? want.source;
      if (!want.failed && !want.from && want.source.sources.some((s) => same(s, peer))) this.request(want);
    }
    this.changed();
  }

  /** A friend's link is gone: what we were fetching waits (its bytes so far are kept). */
  gone(peer: string): void {
    for (const want of this.wants.values()) {
      if (want.from !== undefined && same(want.from, peer)) {
        this.stopClock(want);
        want.from = undefined;
        this.request(want); // perhaps another source is online
      }
    }
    this.queues.delete(peer);
    for (const [key, upload] of this.sending) if (same(upload.peer, peer)) this.sending.delete(key);
    this.drained.get(peer)?.();
    this.changed();
  }

  onFrame(peer: string, frame: BlobFrame): Promise<void> | void {
    switch (frame.t) {
      case "blob-get":
        return this.onGet(peer, frame.hash, frame.from);
      case "blob-info":
        return this.onInfo(peer, frame.hash, frame.size, frame.mime);
      case "blob-none":
        return this.onNone(peer, frame.hash, frame.reason);
    }
  }

  onDrain(peer: string): void {
    this.drained.get(peer)?.();
  }

  // --- fetching -----------------------------------------------------------------------

  /** Fetches a photo from the friends who have it, unless it is here; false if nobody has it. */
  private async want(hash: string, keep: boolean): Promise<boolean> {
    if (await this.isStored(hash)) {
      if (keep) {
        const source = this.host.source(hash);
        await this.repo.keepBlob(hash, source?.by, source?.wall);
      }
      return true;
    }
    const source = this.host.source(hash);
    if (!source) return false;
    let want = this.wants.get(hash);
    if (!want) {
      want = { hash, source, keep, attempts: 0, skip: new Set() };
      this.wants.set(hash, want);
    } else {
      want.source = source;
      want.keep ||= keep;
    }
    if (want.failed && want.attempts < MAX_ATTEMPTS && want.failed.code === "offline") want.failed = undefined;
    // Given up on (bad copies, refused, never there): only retry() asks again.
    if (!want.failed) this.request(want);
    this.changed();
    return source.sources.length > 0;
  }

  private request(want: Want): void {
    if (want.from && this.host.link(want.from)) return; // already asked
    want.from = undefined;
    const order = [...want.source.sources.filter((s) => !want.skip.has(s)), ...want.source.sources.filter((s) => want.skip.has(s))];
    for (const source of order) {
      const link = this.host.link(source);
      if (link?.send({ t: "blob-get", hash: want.hash, from: want.assembly?.received ?? 0 })) {
        want.from = source;
        this.startClock(want);
        return;
      }
    }
  }

  /** A source that goes quiet in the middle of a photo is left for another. */
  private startClock(want: Want): void {
    this.stopClock(want);
    want.stall = setTimeout(() => {
      if (this.wants.get(want.hash) !== want || !want.from) return;
      const from = want.from;
      this.host.diagnostics.drop(from, "photo", `photo ${want.hash.slice(0, 12)}: nothing for ${this.stallMs / 1000} s`);
      want.skip.add(from);
      want.from = undefined;
      const others = want.source.sources.filter((s) => !want.skip.has(s) && this.host.link(s));
      if (others.length) this.request(want);
      else want.failed = { code: "stalled", from };
      this.changed();
    }, this.stallMs);
  }

  private stopClock(want: Want): void {
    clearTimeout(want.stall);
    want.stall = undefined;
  }

  private async onInfo(peer: string, hash: string, size: number, mime: string): Promise<void> {
    const want = this.wants.get(hash);
    if (!want || !want.from || !same(want.from, peer))
      return this.host.diagnostics.drop(peer, "photo", `announced blob ${hash.slice(0, 12)} I did not ask for`);
    if (size > want.source.maxBytes) return this.fail(want, { code: "too-large", from: peer, size });
    const by = want.source.by;
    if (by && want.keep) {
      // A friend's photos on my wall count against their budget, not mine.
      const used = (await this.usage()).get(by.toLowerCase()) ?? 0;
      if (used + size > this.host.friendPhotoBytes) return this.fail(want, { code: "over-budget", by });
    }
    // Same photo, same size: keep the bytes so far and go on from there.
    if (!want.assembly || want.assembly.size !== size) want.assembly = new Assembly(hash, size);
    want.mime = mime;
    this.startClock(want);
    this.changed();
  }

  private onNone(peer: string, hash: string, reason: string): void {
    const want = this.wants.get(hash);
    if (!want || !want.from || !same(want.from, peer)) return;
    this.stopClock(want);
    want.from = undefined;
    if (reason === NONE.notYet && want.attempts < MAX_NOT_YET) {
      // The wall's owner is still fetching it from the author: ask again in a moment.
      want.attempts++;
      setTimeout(() => this.wants.get(hash) === want && !want.failed && this.request(want), NOT_YET_RETRY_MS * want.attempts);
    } else {
      want.skip.add(peer);
      const others = want.source.sources.filter((s) => !want.skip.has(s));
      // Asked again only of another source that is here now: were the one that refused asked
      // again while the others are away, the two would trade refusals for ever. Those away are
      // asked when they come (trusted()).
      if (others.some((s) => this.host.link(s))) this.request(want);
      else if (!others.length) want.failed = { code: "not-shared", from: peer };
    }
    this.changed();
  }

  async onChunk(peer: string, message: ArrayBuffer): Promise<void> {
    const chunk = decodeChunk(message);
    if (!chunk) return this.host.diagnostics.drop(peer, "photo", "a malformed binary message");
    const want = this.wants.get(chunk.hash);
    // Late chunks of a finished or restarted transfer.
    if (!want?.assembly || !want.from || !same(want.from, peer)) return;
    const result = await want.assembly.add(chunk);
    if ("failed" in result) {
      this.host.diagnostics.drop(peer, "photo", `blob ${chunk.hash.slice(0, 12)}: ${result.failed.detail}`);
      if (result.failed.code === "bad-hash") {
        // Bad bytes are never kept: start again from nothing.
        want.assembly = undefined;
        want.attempts++;
        want.skip.add(peer);
        if (want.attempts >= MAX_ATTEMPTS) this.fail(want, { code: "bad-copies" });
        else {
          want.from = undefined;
          this.request(want);
        }
      } else {
        want.from = undefined;
        this.request(want); // out of order: ask again from what we have
      }
      this.changed();
      return;
    }
    this.startClock(want);
    if (!result.done) {
      this.changed();
      return;
    }
    this.stopClock(want);
    // The bytes are what the post named; are they the image the sender said they are?
    const type = imageTypeOf(result.bytes);
    if (!type || type !== want.mime) {
      this.host.diagnostics.drop(peer, "photo", `photo ${want.hash.slice(0, 12)}: its bytes are not a ${want.mime ?? "photo"}`);
      this.fail(want, { code: "not-an-image" });
      this.changed();
      return;
    }
    const by = want.keep ? want.source.by : undefined;
    try {
      await this.repo.saveBlob({
        hash: want.hash,
        bytes: result.bytes.buffer,
        mime: type,
        size: result.bytes.length,
        mine: want.keep,
        storedAt: Date.now(),
        wall: want.source.wall,
        by,
        kind: want.source.kind,
      });
    } catch (error) {
      // No room: say so, and fetch it again once room is made (the repository tells).
      this.fail(want, storageFaultOf(error) === "full" ? { code: "no-room" } : { code: "bad-copies" });
      return;
    }
    if (by) {
      const use = await this.usage();
      use.set(by.toLowerCase(), (use.get(by.toLowerCase()) ?? 0) + result.bytes.length);
    }
    this.wants.delete(want.hash);
    this.cache.add([want.hash]);
    // Over the cap, the photos seen least recently go; a fault here must not fail the fetch.
    // Only a friend's full image counts against the cap (thumbnails stay): trim after those alone.
    if (!want.keep && want.source.kind === "full") await this.trim().catch(() => 0);
  }

  private fail(want: Want, problem: PhotoProblem): void {
    this.stopClock(want);
    want.failed = problem;
    want.from = undefined;
    want.assembly = undefined;
    this.changed();
  }

  private usage(): Promise<Map<string, number>> {
    this.budgetUse ??= this.repo.allBlobInfo().then((infos) => {
      const use = new Map<string, number>();
      for (const info of infos) if (info.by) use.set(info.by.toLowerCase(), (use.get(info.by.toLowerCase()) ?? 0) + info.size);
      return use;
    });
    return this.budgetUse;
  }

  // --- sending ------------------------------------------------------------------------

  private async onGet(peer: string, hash: string, from: number): Promise<void> {
    const link = this.host.link(peer);
    if (!link) return;
    if (!this.host.mayAsk(peer)) {
      this.host.diagnostics.drop(peer, "over-quota", "too many photo requests");
      link.send({ t: "blob-none", hash, reason: NONE.busy });
      return;
    }
    const queue = this.queues.get(peer) ?? [];
    if (!queue.some((job) => job.hash === hash)) queue.push({ hash, from });
    this.queues.set(peer, queue);
    if (!this.pumping.has(peer)) await this.pump(peer);
  }

  /**
   * Serve a photo to ``peer``? Only one whose origin policy lets them see (checked when it is
   * about to be sent, so a photo that arrives meanwhile is checked too). One still on its way
   * to me is "not yet" only to those who may see the post it comes for.
   */
  private async mayServe(hash: string, peer: string): Promise<"serve" | typeof NONE.notYet | typeof NONE.notShared> {
    const info = await this.repo.blobInfo(hash);
    if (info) {
      const origin = originOf(info);
      return origin && this.host.mayServe(origin, peer, this.host.source(hash)?.kind) ? "serve" : NONE.notShared;
    }
    const coming = this.wants.get(hash);
    if (coming && this.host.mayServe({ mine: false, wall: coming.source.wall }, peer)) return NONE.notYet;
    return NONE.notShared;
  }

  /** Sends the queued blobs to one friend, one at a time, never overfilling the channel. */
  private async pump(peer: string): Promise<void> {
    this.pumping.add(peer);
    try {
      for (let job = this.queues.get(peer)?.shift(); job; job = this.queues.get(peer)?.shift()) {
        const verdict = await this.mayServe(job.hash, peer);
        const link = this.host.link(peer);
        if (!link) return;
        const record = verdict === "serve" ? await this.repo.blob(job.hash) : undefined;
        if (!record) {
          link.send({ t: "blob-none", hash: job.hash, reason: verdict === "serve" ? NONE.notYet : verdict });
          continue;
        }
        await this.send(peer, link, record.hash, new Uint8Array(record.bytes), record.mime, job.from);
      }
    } finally {
      this.pumping.delete(peer);
      this.drained.delete(peer);
    }
  }

  private async send(peer: string, link: PhotoLink, hash: string, bytes: Uint8Array, mime: string, start: number): Promise<void> {
    const from = Math.min(start, bytes.length);
    link.send({ t: "blob-info", hash, size: bytes.length, mime });
    const key = `${peer} ${hash}`;
    const upload: Upload = { peer, hash, sent: from, size: bytes.length };
    this.sending.set(key, upload);
    let handed = from;
    let last = 0;
    // What has really left: handed to the channel, less what still waits in its buffer.
    const report = (force = false) => {
      upload.sent = Math.max(from, handed - link.buffered);
      const now = Date.now();
      if (force || now - last > PROGRESS_MS) {
        last = now;
        this.changed();
      }
    };
    for (const message of chunksOf(hash, bytes, from)) {
      if (link.buffered > HIGH_WATER) await new Promise<void>((resolve) => this.drained.set(peer, resolve));
      if (this.host.link(peer) !== link || !link.sendBinary(message)) break;
      handed += message.byteLength - HEADER_BYTES;
      report();
    }
    while (link.buffered > 0 && this.host.link(peer) === link) {
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_MS));
      report(true);
    }
    this.sending.delete(key);
    this.changed();
  }
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Where a stored photo came from; null for an old record whose origin was never written. */
function originOf(info: { mine: boolean; wall?: string; by?: string }): PhotoOrigin | null {
  if (info.wall) return { mine: false, wall: info.wall };
  // Before origins were recorded, kept photos were mine or on my wall: serving them is as before.
  return info.mine ? { mine: true } : null;
}
