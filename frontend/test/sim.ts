// An in-memory network for the sync engine: links that carry JSON between engines, presence
// with the broker's mutual-watch rule, and "unavailable" for handles that are offline.
import { IDBFactory } from "fake-indexeddb";
import { createPeerwall } from "../src/app/peerwall";
import type { BlobExchange } from "../src/media/exchange";
import type { Engine } from "../src/sync/engine";
import type { PhotoRef } from "../src/sync/events";
import type { Link, Transport, TransportHandlers } from "../src/sync/transport";
import { openDatabase } from "../src/store/db";
import { Repository } from "../src/store/repository";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** What the simulated channel carries a turn of the event loop: fast, yet photo chunks queue. */
export const WIRE_BYTES_PER_TURN = 256 * 1024;
/** As PeerjsTransport's bufferedAmountLowThreshold: onDrain fires when the buffer falls below it. */
export const LOW_WATER = 1024 * 1024;

/**
 * One end of a simulated data channel. Messages go out in order through a send buffer that
 * empties at WIRE_BYTES_PER_TURN a turn, so ``buffered`` is real and a sender that ignores it
 * piles bytes up (tests read ``maxBuffered``); ``onDrain`` fires as the buffer falls below
 * LOW_WATER, as the browser's bufferedamountlow does.
 */
export class SimLink implements Link {
  partner?: SimLink;
  open = false;
  closed = false;
  sent: unknown[] = [];
  /** The most bytes ever waiting in this end's send buffer. */
  maxBuffered = 0;
  onOpen = () => {};
  onFrame = (_frame: unknown) => {};
  onBinary = (_message: ArrayBuffer) => {};
  onDrain = () => {};
  onClose = () => {};
  private queue: { size: number; deliver: () => void }[] = [];
  private queued = 0;
  private pumping = false;
  private closing = false;
  constructor(
    readonly peer: string,
    readonly initiator: boolean,
    readonly device = "",
  ) {}

  get buffered(): number {
    return this.queued;
  }

  /** Tests read ``sent``; a long simulation (bench/reach_sim.ts) turns recording off. */
  static record = true;
  /** Called with every frame's JSON length (the reach simulation counts carried bytes). */
  static measure?: (from: SimLink, frame: unknown, bytes: number) => void;

  send(frame: unknown): boolean {
    if (!this.open || this.closed) return false;
    if (SimLink.record) this.sent.push(frame);
    const text = JSON.stringify(frame);
    SimLink.measure?.(this, frame, text.length);
    const partner = this.partner!;
    // JSON text, as PeerjsTransport's raw links carry it: the engine parses it.
    this.enqueue(text.length, () => !partner.closed && partner.onFrame(text));
    return true;
  }

  sendBinary(message: ArrayBuffer): boolean {
    if (!this.open || this.closed) return false;
    const copy = message.slice(0);
    const partner = this.partner!;
    this.enqueue(copy.byteLength, () => !partner.closed && partner.onBinary(copy));
    return true;
  }

  /** A network failure: both ends close at once and whatever was in flight is lost. */
  cut(): void {
    for (const end of [this, this.partner!]) {
      if (end.closed) continue;
      end.closed = true;
      end.open = false;
      end.queue = [];
      end.queued = 0;
      end.onClose();
    }
  }

  /** Like PeerJS's close({flush: true}): frames already sent still arrive, then both ends close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.closing = true;
    if (!this.pumping) this.finishClose();
  }

  private finishClose(): void {
    this.closing = false;
    setTimeout(() => {
      this.onClose();
      this.partner?.close();
    }, 0);
  }

  private enqueue(size: number, deliver: () => void): void {
    this.queue.push({ size, deliver });
    this.queued += size;
    this.maxBuffered = Math.max(this.maxBuffered, this.queued);
    if (!this.pumping) {
      this.pumping = true;
      setTimeout(() => this.pump(), 0);
    }
  }

  private pump(): void {
    let budget = WIRE_BYTES_PER_TURN;
    const before = this.queued;
    while (this.queue.length && budget > 0) {
      const message = this.queue.shift()!;
      budget -= message.size;
      this.queued -= message.size;
      message.deliver();
    }
    if (before >= LOW_WATER && this.queued < LOW_WATER && !this.closed) this.onDrain();
    if (this.queue.length) {
      setTimeout(() => this.pump(), 0);
      return;
    }
    this.pumping = false;
    if (this.closing) this.finishClose();
  }
}

/** A frame as a test reads it: links carry JSON text, as PeerJS's raw links do. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function frameOf(raw: unknown): any {
  return typeof raw === "string" ? JSON.parse(raw) : raw;
}

/** A peer id: ``handle-device``, or the bare handle. */
export function simId(handle: string, device: string): string {
  return device ? `${handle}-${device}` : handle;
}

export class SimNetwork {
  /** Connected nodes by peer id. */
  readonly nodes = new Map<string, SimTransport>();
  readonly accounts = new Set<string>();

  transport(handle: string, device = ""): SimTransport {
    this.accounts.add(handle);
    return new SimTransport(this, handle, device);
  }

  /**
   * The broker's rule: presence per handle, mutual watching (or ``watchers``: whoever watches
   * me), and a handle's own devices always see each other.
   */
  mutual(a: SimTransport, b: SimTransport): boolean {
    if (!a.online || !b.online || a === b) return false;
    if (a.handle.toLowerCase() === b.handle.toLowerCase()) return true;
    const aWatchesB = a.watching.has(b.handle) || (a.watchers && b.watching.has(a.handle));
    const bWatchesA = b.watching.has(a.handle) || (b.watchers && a.watching.has(b.handle));
    return aWatchesB && bWatchesA;
  }

  announce(node: SimTransport, online: boolean): void {
    for (const other of this.nodes.values()) {
      if (other === node) continue;
      const was = node.online;
      node.online = true;
      const mutual = this.mutual(node, other);
      node.online = was;
      if (mutual) {
        other.handlers?.presence(node.handle, node.device, online);
        if (online) node.handlers?.presence(other.handle, other.device, true);
      }
    }
  }
}

export class SimTransport implements Transport {
  handlers?: TransportHandlers;
  watching = new Set<string>();
  watchers = false;
  online = false;
  links = new Set<SimLink>();

  constructor(
    private readonly net: SimNetwork,
    readonly handle: string,
    readonly device = "",
  ) {}

  get id(): string {
    return simId(this.handle, this.device);
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  goOnline(): void {
    this.online = true;
    this.net.nodes.set(this.id, this);
    this.handlers?.broker(true);
    this.net.announce(this, true);
  }

  goOffline(): void {
    this.online = false;
    this.net.nodes.delete(this.id);
    for (const link of [...this.links]) link.close();
    this.handlers?.broker(false);
    this.net.announce(this, false);
  }

  dial(handle: string, device: string): void {
    setTimeout(() => {
      const target = this.net.nodes.get(simId(handle, device));
      if (!this.online) return;
      if (!target) return this.handlers?.unavailable(handle, device);
      const mine = new SimLink(handle, true, device);
      const theirs = new SimLink(this.handle, false, this.device);
      mine.partner = theirs;
      theirs.partner = mine;
      this.links.add(mine);
      target.links.add(theirs);
      this.handlers?.link(mine);
      target.handlers?.link(theirs);
      setTimeout(() => {
        for (const l of [mine, theirs]) {
          if (l.closed) continue;
          l.open = true;
          l.onOpen();
        }
      }, 0);
    }, 0);
  }

  locate(handle: string): void {
    setTimeout(() => {
      if (!this.online) return;
      const devices = [...this.net.nodes.values()].filter((n) => n.handle.toLowerCase() === handle.toLowerCase()).map((n) => n.device);
      this.handlers?.located(handle, devices);
    }, 0);
  }

  watch(handles: string[], watchers = false): void {
    const others = [...this.net.nodes.values()].filter((o) => o !== this);
    const before = new Map(others.map((o) => [o, this.net.mutual(this, o)]));
    this.watching = new Set(handles);
    this.watchers = watchers;
    if (!this.online) return;
    for (const other of others) {
      const was = before.get(other);
      const now = this.net.mutual(this, other);
      if (now && !was) {
        this.handlers?.presence(other.handle, other.device, true);
        other.handlers?.presence(this.handle, this.device, true);
      } else if (was && !now) {
        other.handlers?.presence(this.handle, this.device, false);
      }
    }
  }
}

export interface User {
  handle: string;
  engine: Engine;
  transport: SimTransport;
  repo: Repository;
  blobs: BlobExchange;
  dropped: string[];
}

export async function makeUser(
  net: SimNetwork,
  handle: string,
  factory = new IDBFactory(),
  photoStallMs?: number,
  device = "",
): Promise<User> {
  const repo = new Repository(await openDatabase(handle, factory));
  const transport = net.transport(handle, device);
  const dropped: string[] = [];
  // The same composition as the app's (src/app/peerwall.ts), over the simulated network.
  const { engine, photos: blobs } = await createPeerwall({
    me: handle,
    device,
    repo,
    transport,
    lookup: async (wanted) => [...net.accounts].find((h) => h.toLowerCase() === wanted.toLowerCase()) ?? null,
    log: (message) => dropped.push(message),
    photoStallMs,
  });
  engine.start();
  return { handle, engine, transport, repo, blobs, dropped };
}

/** People on one network, online: the start of most tests (friendships are theirs to make). */
export async function usersOnline<H extends string[]>(net: SimNetwork, ...handles: H): Promise<{ [K in keyof H]: User }> {
  const users: User[] = [];
  for (const handle of handles) users.push(await makeUser(net, handle));
  for (const user of users) user.transport.goOnline();
  return users as { [K in keyof H]: User };
}

/** Waits until ``condition`` holds, failing after ``ms``. */
export async function until(condition: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick();
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function befriend(a: User, b: User): Promise<void> {
  await a.engine.addFriend(b.handle);
  await until(() => b.engine.friend(a.handle)?.state === "requested-in", 8000, "the request to arrive");
  await b.engine.accept(a.handle);
  await until(
    () => a.engine.isFriend(b.handle) && b.engine.isFriend(a.handle) && a.engine.friends().every((f) => f.handle !== b.handle || f.connected),
    8000,
    "friendship",
  );
}

/** ``n`` bytes that start as a JPEG does (the exchange checks what photos are), then noise. */
export function jpegBytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  out.set([0xff, 0xd8, 0xff, 0xe0].slice(0, n));
  return out;
}

export async function photo(user: User, size: number, seed: number): Promise<PhotoRef> {
  const full = await user.blobs.storeMine(jpegBytes(size, seed), "image/jpeg");
  const thumb = await user.blobs.storeMine(jpegBytes(2000, seed + 1), "image/jpeg");
  return { full, thumb, mime: "image/jpeg", w: 2048, h: 1536 };
}
