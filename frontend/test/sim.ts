// An in-memory network for the sync engine: links that carry JSON between engines, presence
// with the broker's mutual-watch rule, and "unavailable" for handles that are offline.
import { IDBFactory } from "fake-indexeddb";
import { generateIdentity, loadIdentity } from "../src/crypto/identity";
import { BlobExchange } from "../src/media/exchange";
import { Engine } from "../src/sync/engine";
import type { Link, Transport, TransportHandlers } from "../src/sync/transport";
import { openDatabase } from "../src/store/db";
import { Repository } from "../src/store/repository";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

export class SimLink implements Link {
  partner?: SimLink;
  open = false;
  closed = false;
  sent: unknown[] = [];
  onOpen = () => {};
  onFrame = (_frame: unknown) => {};
  onBinary = (_message: ArrayBuffer) => {};
  onDrain = () => {};
  onClose = () => {};
  readonly buffered = 0;
  constructor(
    readonly peer: string,
    readonly initiator: boolean,
  ) {}

  send(frame: unknown): boolean {
    if (!this.open || this.closed) return false;
    this.sent.push(frame);
    const copy = JSON.parse(JSON.stringify(frame));
    const partner = this.partner!;
    setTimeout(() => !partner.closed && partner.onFrame(copy), 0);
    return true;
  }

  sendBinary(message: ArrayBuffer): boolean {
    if (!this.open || this.closed) return false;
    const copy = message.slice(0);
    const partner = this.partner!;
    setTimeout(() => !partner.closed && partner.onBinary(copy), 0);
    return true;
  }

  /** A network failure: both ends close at once and whatever was in flight is lost. */
  cut(): void {
    for (const end of [this, this.partner!]) {
      if (end.closed) continue;
      end.closed = true;
      end.open = false;
      end.onClose();
    }
  }

  /** Like PeerJS's close({flush: true}): frames already sent still arrive. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    setTimeout(() => {
      this.onClose();
      this.partner?.close();
    }, 0);
  }
}

export class SimNetwork {
  readonly nodes = new Map<string, SimTransport>();
  readonly accounts = new Set<string>();

  transport(handle: string): SimTransport {
    this.accounts.add(handle);
    return new SimTransport(this, handle);
  }

  mutual(a: SimTransport, b: SimTransport): boolean {
    return a.online && b.online && a.watching.has(b.handle) && b.watching.has(a.handle);
  }

  announce(node: SimTransport, online: boolean): void {
    for (const other of this.nodes.values()) {
      if (other === node) continue;
      if (other.watching.has(node.handle) && node.watching.has(other.handle)) {
        other.handlers?.presence(node.handle, online);
        if (online) node.handlers?.presence(other.handle, true);
      }
    }
  }
}

export class SimTransport implements Transport {
  handlers?: TransportHandlers;
  watching = new Set<string>();
  online = false;
  links = new Set<SimLink>();

  constructor(
    private readonly net: SimNetwork,
    readonly handle: string,
  ) {}

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  goOnline(): void {
    this.online = true;
    this.net.nodes.set(this.handle, this);
    this.handlers?.broker(true);
    this.net.announce(this, true);
  }

  goOffline(): void {
    this.online = false;
    this.net.nodes.delete(this.handle);
    for (const link of [...this.links]) link.close();
    this.handlers?.broker(false);
    this.net.announce(this, false);
  }

  dial(handle: string): void {
    setTimeout(() => {
      const target = this.net.nodes.get(handle);
      if (!this.online) return;
      if (!target) return this.handlers?.unavailable(handle);
      const mine = new SimLink(handle, true);
      const theirs = new SimLink(this.handle, false);
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

  watch(handles: string[]): void {
    const before = new Set(this.watching);
    this.watching = new Set(handles);
    if (!this.online) return;
    for (const other of this.net.nodes.values()) {
      if (other === this) continue;
      const was = before.has(other.handle) && other.watching.has(this.handle);
      const now = this.net.mutual(this, other);
      if (now && !was) {
        this.handlers?.presence(other.handle, true);
        other.handlers?.presence(this.handle, true);
      } else if (was && !now) {
        other.handlers?.presence(this.handle, false);
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

export async function makeUser(net: SimNetwork, handle: string, factory = new IDBFactory()): Promise<User> {
  const repo = new Repository(await openDatabase(handle, factory));
  let stored = await repo.identity();
  if (!stored) {
    stored = { id: "me", ...(await generateIdentity()) };
    await repo.saveIdentity(stored);
  }
  const transport = net.transport(handle);
  const dropped: string[] = [];
  const blobs = new BlobExchange(repo);
  const engine = await Engine.open({
    blobs,
    me: handle,
    identity: await loadIdentity(stored),
    repo,
    transport,
    lookup: async (wanted) => [...net.accounts].find((h) => h.toLowerCase() === wanted.toLowerCase()) ?? null,
    log: (message) => dropped.push(message),
  });
  blobs.attach({
    link: (peer) => engine.trustedLink(peer),
    mayServe: (hash, peer) => engine.mayServe(hash, peer),
    changed: () => engine.notifyChanged(),
    log: (from, reason) => engine.reportDrop(from, reason),
  });
  engine.start();
  return { handle, engine, transport, repo, blobs, dropped };
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
