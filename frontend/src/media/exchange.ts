// Photos between friends: fetched by hash, in chunks, with back-pressure, verified before they
// are stored or shown, resumed after a broken link from the last byte received.
import type { Repository } from "../store/repository";
import type { BlobFrame, BlobPort, PhotoNeed } from "../sync/blobPort";
import { Assembly, chunksOf, decodeChunk, HEADER_BYTES } from "./chunks";
import { sha256Hex } from "./hash";

/** The part of a link to a friend that blobs travel on (the sync engine's links have it). */
export interface BlobLink {
  send(frame: unknown): boolean;
  sendBinary(message: ArrayBuffer): boolean;
  readonly buffered: number;
}



/** Far above a downscaled photo; refuses absurd announcements before allocating anything. */
export const MAX_BLOB_BYTES = 32 * 1024 * 1024;
/** The sender pauses while more than this waits in the channel's buffer (it resumes when the
 * link says the buffer drained below its low-water mark, 1 MiB). */
const HIGH_WATER = 2 * 1024 * 1024;
const PROGRESS_MS = 100;
const MAX_ATTEMPTS = 3;
const NOT_YET = "not here yet";
const MAX_NOT_YET = 10;
const NOT_YET_RETRY_MS = 1000;

export type BlobStatus =
  | { state: "stored" }
  | { state: "fetching"; from: string; received: number; size: number }
  | { state: "waiting"; reason: string }
  | { state: "failed"; reason: string }
  | { state: "unknown" };

export interface Upload {
  peer: string;
  hash: string;
  sent: number;
  size: number;
}

/** What the exchange needs from the engine. */
export interface BlobHost {
  /** The open, trusted link to a friend, if any. */
  link(peer: string): BlobLink | undefined;
  /** May ``peer`` have this blob from me? */
  mayServe(hash: string, peer: string): boolean;
  changed(): void;
  log(from: string, reason: string): void;
}

interface Want {
  hash: string;
  sources: string[];
  keep: boolean;
  assembly?: Assembly;
  mime?: string;
  from?: string;
  attempts: number;
  failed?: string;
}

interface Job {
  hash: string;
  from: number;
}

export class BlobExchange implements BlobPort {
  private host!: BlobHost;
  private readonly wants = new Map<string, Want>();
  private readonly stored = new Set<string>();
  private readonly queues = new Map<string, Job[]>();
  private readonly pumping = new Set<string>();
  private readonly drained = new Map<string, () => void>();
  private readonly sending = new Map<string, Upload>();

  constructor(private readonly repo: Repository) {}

  /** The engine that owns the links; set once, when the app wires the two together. */
  attach(host: BlobHost): void {
    this.host = host;
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

  private readonly urls = new Map<string, string>();

  /** Stores one of my own photos; resolves to its hash once it is on disk. */
  async storeMine(bytes: Uint8Array<ArrayBuffer>, mime: string): Promise<string> {
    const hash = await sha256Hex(bytes);
    await this.repo.saveBlob({ hash, bytes: bytes.buffer, mime, size: bytes.length, mine: true, storedAt: Date.now() });
    this.stored.add(hash);
    return hash;
  }

  /** An object URL for a stored blob, made once; null while it is not here. */
  async url(hash: string): Promise<string | null> {
    const known = this.urls.get(hash);
    if (known) return known;
    const record = await this.repo.blob(hash);
    if (!record) return null;
    const url = URL.createObjectURL(new Blob([record.bytes], { type: record.mime }));
    this.urls.set(hash, url);
    return url;
  }

  /** Forgets stored blobs (after space was freed): they are fetched again when wanted. */
  forgetCached(): void {
    this.stored.clear();
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
  }

  /** Remembers a blob as present (mine, or verified from a friend, or from a backup). */
  markStored(hash: string): void {
    this.stored.add(hash);
  }

  async isStored(hash: string): Promise<boolean> {
    if (this.stored.has(hash)) return true;
    if (await this.repo.hasBlob(hash)) {
      this.stored.add(hash);
      return true;
    }
    return false;
  }

  status(hash: string): BlobStatus {
    if (this.stored.has(hash)) return { state: "stored" };
    const want = this.wants.get(hash);
    if (!want) return { state: "unknown" };
    if (want.failed) return { state: "failed", reason: want.failed };
    if (want.from && want.assembly)
      return { state: "fetching", from: want.from, received: want.assembly.received, size: want.assembly.size };
    if (want.from) return { state: "fetching", from: want.from, received: 0, size: 0 };
    if (!want.sources.length) return { state: "waiting", reason: "none of your friends who have it is connected" };
    const names = want.sources.map((s) => `@${s}`).join(" or ");
    return { state: "waiting", reason: `${names} ${want.sources.length > 1 ? "are" : "is"} offline` };
  }

  uploads(): Upload[] {
    return [...this.sending.values()];
  }

  need(photos: PhotoNeed[]): void {
    for (const photo of photos) void this.want(photo.hash, photo.sources, photo.keep);
  }

  /** Tries a failed blob again from the start, as if it had never been asked for. */
  async retry(hash: string, sources: string[]): Promise<void> {
    const want = this.wants.get(hash);
    if (want) {
      want.attempts = 0;
      want.failed = undefined;
      want.assembly = undefined;
    }
    await this.want(hash, sources);
  }

  /** Fetches a blob from the first of ``sources`` that is connected, unless I have it. */
  async want(hash: string, sources: string[], keep = false): Promise<void> {
    if (await this.isStored(hash)) {
      if (keep) await this.repo.keepBlob(hash);
      return;
    }
    let want = this.wants.get(hash);
    if (!want) {
      want = { hash, sources: [], attempts: 0, keep };
      this.wants.set(hash, want);
    }
    want.keep ||= keep;
    for (const s of sources) if (!want.sources.includes(s)) want.sources.push(s);
    if (want.failed && want.attempts < MAX_ATTEMPTS) want.failed = undefined;
    // Given up on (bad copies, or never there): only retry() asks again.
    if (!want.failed) this.request(want);
    this.host.changed();
  }

  private request(want: Want): void {
    if (want.from && this.host.link(want.from)) return; // already asked
    want.from = undefined;
    for (const source of want.sources) {
      const link = this.host.link(source);
      if (link?.send({ t: "blob-get", hash: want.hash, from: want.assembly?.received ?? 0 })) {
        want.from = source;
        return;
      }
    }
  }

  /** A friend's link became trusted: resume what we wanted from them. */
  onTrusted(peer: string): void {
    for (const want of this.wants.values()) {
      if (!want.failed && !want.from && want.sources.includes(peer)) this.request(want);
    }
    this.host.changed();
  }

  /** A friend's link is gone: what we were fetching waits (its bytes so far are kept). */
  onGone(peer: string): void {
    for (const want of this.wants.values()) {
      if (want.from === peer) {
        want.from = undefined;
        this.request(want); // perhaps another source is online
      }
    }
    this.queues.delete(peer);
    for (const [key, upload] of this.sending) if (upload.peer === peer) this.sending.delete(key);
    this.drained.get(peer)?.();
    this.host.changed();
  }

  // --- receiving ----------------------------------------------------------------------

  onInfo(peer: string, hash: string, size: number, mime: string): void {
    const want = this.wants.get(hash);
    if (!want || want.from !== peer) return this.host.log(peer, `announced blob ${hash.slice(0, 12)} I did not ask for`);
    if (size > MAX_BLOB_BYTES) {
      this.fail(want, `${peer} announced ${size} bytes, more than a photo may have`);
      return;
    }
    // Same blob, same size: keep the bytes so far and go on from there.
    if (!want.assembly || want.assembly.size !== size) want.assembly = new Assembly(hash, size);
    want.mime = mime;
    this.host.changed();
  }

  onNone(peer: string, hash: string, reason: string): void {
    const want = this.wants.get(hash);
    if (!want || want.from !== peer) return;
    want.from = undefined;
    if (reason === NOT_YET && want.attempts < MAX_NOT_YET) {
      // The wall's owner is still fetching it from the author: ask again in a moment.
      want.attempts++;
      setTimeout(() => this.wants.get(hash) === want && this.request(want), NOT_YET_RETRY_MS * want.attempts);
    } else {
      want.sources = want.sources.filter((s) => s !== peer);
      if (want.sources.length) this.request(want);
      else want.failed = `@${peer} does not have it (${reason})`;
    }
    this.host.changed();
  }

  async onChunk(peer: string, message: ArrayBuffer): Promise<void> {
    const chunk = decodeChunk(message);
    if (!chunk) return this.host.log(peer, "a malformed binary message");
    const want = this.wants.get(chunk.hash);
    if (!want?.assembly || want.from !== peer) return; // late chunks of a finished or restarted transfer
    const result = await want.assembly.add(chunk);
    if ("failed" in result) {
      this.host.log(peer, `blob ${chunk.hash.slice(0, 12)}: ${result.failed}`);
      if (result.failed.includes("hash")) {
        // Bad bytes are never kept: start again from nothing.
        want.assembly = undefined;
        want.attempts++;
        if (want.attempts >= MAX_ATTEMPTS) this.fail(want, "no good copy could be fetched");
        else {
          want.from = undefined;
          this.request(want);
        }
      } else {
        want.from = undefined;
        this.request(want); // out of order: ask again from what we have
      }
      this.host.changed();
      return;
    }
    if (!result.done) {
      this.host.changed();
      return;
    }
    await this.repo.saveBlob({
      hash: want.hash,
      bytes: result.bytes.buffer,
      mime: want.mime ?? "application/octet-stream",
      size: result.bytes.length,
      mine: want.keep,
      storedAt: Date.now(),
    });
    this.stored.add(want.hash);
    this.wants.delete(want.hash);
    this.host.changed();
  }

  private fail(want: Want, reason: string): void {
    want.failed = reason;
    want.from = undefined;
    want.assembly = undefined;
  }

  // --- sending ------------------------------------------------------------------------

  async onGet(peer: string, hash: string, from: number): Promise<void> {
    const link = this.host.link(peer);
    if (!link) return;
    if (!this.host.mayServe(hash, peer)) {
      link.send({ t: "blob-none", hash, reason: "not shared with you" });
      return;
    }
    const queue = this.queues.get(peer) ?? [];
    if (!queue.some((job) => job.hash === hash)) queue.push({ hash, from });
    this.queues.set(peer, queue);
    if (!this.pumping.has(peer)) await this.pump(peer);
  }

  onDrain(peer: string): void {
    this.drained.get(peer)?.();
  }

  /** Sends the queued blobs to one friend, one at a time, never overfilling the channel. */
  private async pump(peer: string): Promise<void> {
    this.pumping.add(peer);
    try {
      for (let job = this.queues.get(peer)?.shift(); job; job = this.queues.get(peer)?.shift()) {
        const record = await this.repo.blob(job.hash);
        const link = this.host.link(peer);
        if (!link) return;
        if (!record) {
          link.send({ t: "blob-none", hash: job.hash, reason: NOT_YET });
          continue;
        }
        const bytes = new Uint8Array(record.bytes);
        const from = Math.min(job.from, bytes.length);
        link.send({ t: "blob-info", hash: record.hash, size: bytes.length, mime: record.mime });
        const key = `${peer} ${record.hash}`;
        const upload: Upload = { peer, hash: record.hash, sent: from, size: bytes.length };
        this.sending.set(key, upload);
        let handed = from;
        let last = 0;
        // What has really left: handed to the channel, less what still waits in its buffer.
        const report = (force = false) => {
          upload.sent = Math.max(from, handed - link.buffered);
          const now = Date.now();
          if (force || now - last > PROGRESS_MS) {
            last = now;
            this.host.changed();
          }
        };
        for (const message of chunksOf(record.hash, bytes, from)) {
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
        this.host.changed();
      }
    } finally {
      this.pumping.delete(peer);
      this.drained.delete(peer);
    }
  }
}
