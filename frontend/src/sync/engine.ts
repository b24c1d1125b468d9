// The sync engine: friends, walls, the outbox and the sessions with friends' browsers.
// Plain TypeScript: it talks to a Transport and a Repository, never to the DOM or PeerJS.
import { canonicalJson, randomId } from "../crypto/encoding";
import { type Identity, sign, verify } from "../crypto/identity";
import type { FriendRecord, FriendState, OutboxRecord, StoredEvent } from "../store/db";
import type { Repository } from "../store/repository";
import {
  type Body,
  type CommentBody,
  createEvent,
  type DeleteBody,
  isHandle,
  type Kind,
  type LikeBody,
  type PhotoRef,
  type PostBody,
  type SignedEvent,
  stripSeq,
  verifyEvent,
  type WallEvent,
} from "./events";
import { batchEvents, type Frame, MAX_FRAME_BYTES, PROTOCOL_VERSION, parseFrame } from "./frames";
import type { BlobPort, PhotoNeed } from "./blobPort";
import type { Link, Transport } from "./transport";
import { buildWall, mayDelete, type PostView } from "./wall";

export interface FriendView {
  handle: string;
  state: FriendState;
  online: boolean;
  connected: boolean;
  unread: number;
  keyChanged: boolean;
}

export interface Dropped {
  at: number;
  from: string;
  reason: string;
}

export type HandleLookup = (handle: string) => Promise<string | null>;

interface Session {
  link: Link;
  nonce: string;
  hello?: Extract<Frame, { t: "hello" }>;
  proven: boolean;
  /** Proven and a friend whose pinned key matches: walls may sync. */
  trusted: boolean;
  timer?: ReturnType<typeof setTimeout>;
  /** Frames are handled one at a time, in the order they arrived. */
  inbox: Serial;
  lastHeard: number;
  probing?: ReturnType<typeof setTimeout>;
  /** Checked events of a catch-up not yet stored (see onEvents). */
  catchUp: { events: WallEvent[]; delivered: string[] };
}

export interface EngineOptions {
  me: string;
  identity: Identity;
  repo: Repository;
  transport: Transport;
  lookup: HandleLookup;
  /** Where photo traffic goes (media/exchange.ts); without it, photos are neither fetched nor served. */
  blobs?: BlobPort;
  now?: () => number;
  log?: (message: string) => void;
}

// An honest peer says hello the moment the link opens; one that does not is not worth waiting for.
const PROOF_TIMEOUT_MS = 5_000;
/** The larger handle waits this long for the smaller one to dial before dialing itself. */
const DIAL_GRACE_MS = 2_500;
const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000];
/** A link that answers no ping within this long is dead, whatever the data channel says. */
const PROBE_MS = 3_000;
/** A quiet link is pinged this often, so a dead one is noticed even without presence news. */
const KEEPALIVE_MS = 20_000;
const MAX_DROPPED = 200;
/** A catch-up stores its events in transactions of about this many. */
const CATCH_UP_WRITE = 2_000;
/** Views are told of changes at most this often. */
const NOTIFY_MS = 50;

function proofMessage(nonce: string, from: string, to: string, key: string): string {
  return canonicalJson({ p: "peerwall-proof", v: PROTOCOL_VERSION, nonce, from, to, key });
}

function frameSize(frame: Frame): number {
  return JSON.stringify(frame).length;
}

/** A small lock: one write to my wall at a time, so sequence numbers never collide. */
class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class Engine {
  readonly me: string;
  private readonly identity: Identity;
  private readonly repo: Repository;
  private readonly transport: Transport;
  private readonly lookup: HandleLookup;
  private readonly blobs?: BlobPort;
  private readonly now: () => number;
  private readonly logger: (message: string) => void;

  private friendsByHandle = new Map<string, FriendRecord>();
  private eventsById = new Map<string, WallEvent>();
  /** The same events, by wall: views and catch-ups look at one wall at a time. */
  private eventsByWall = new Map<string, Map<string, WallEvent>>();
  /** Bumped when a wall's events or pending marks change: its derived views are kept till then. */
  private wallVersions = new Map<string, number>();
  private feedCache?: { key: string; items: { wall: string; post: PostView }[] };
  /** Posts by others as they arrive, newest last, for announcing them. */
  private arrivals: { n: number; id: string; author: string; wall: string }[] = [];
  private arrivalCount = 0;
  private outboxById = new Map<string, OutboxRecord>();
  private lastRead = new Map<string, number>();
  private sessions = new Map<string, Session>();
  private onlineHandles = new Set<string>();
  private retry = new Map<string, { attempt: number; timer?: ReturnType<typeof setTimeout> }>();
  private maxSeq = new Map<string, number>();
  /** Each photo hash, and the posts that show it. */
  private photoPosts = new Map<string, Set<string>>();
  private writes = new Serial();
  private listeners = new Set<() => void>();
  private wallCache = new Map<string, { version: number; posts: PostView[] }>();

  private keepalive?: ReturnType<typeof setInterval>;
  private notifyTimer?: ReturnType<typeof setTimeout>;
  brokerOnline = false;
  version = 0;
  readonly dropped: Dropped[] = [];

  private constructor(options: EngineOptions) {
    this.me = options.me;
    this.identity = options.identity;
    this.repo = options.repo;
    this.transport = options.transport;
    this.lookup = options.lookup;
    this.blobs = options.blobs;
    this.now = options.now ?? Date.now;
    this.logger = options.log ?? ((message) => console.warn(`[peerwall] ${message}`));
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const engine = new Engine(options);
    await engine.load();
    return engine;
  }

  private async load(): Promise<void> {
    const [friends, events, outbox, read] = await Promise.all([
      this.repo.friends(),
      this.repo.events(),
      this.repo.outbox(),
      this.repo.meta<Record<string, number>>("lastRead"),
    ]);
    for (const f of friends) this.friendsByHandle.set(f.handle, f);
    for (const e of events) this.remember(e as WallEvent);
    for (const o of outbox) this.outboxById.set(o.id, o);
    for (const [wall, seq] of Object.entries(read ?? {})) this.lastRead.set(wall, seq);
  }

  private touchWall(wall: string): void {
    this.wallVersions.set(wall, (this.wallVersions.get(wall) ?? 0) + 1);
  }

  private forgetEvent(id: string): void {
    const event = this.eventsById.get(id);
    if (!event) return;
    this.eventsById.delete(id);
    this.eventsByWall.get(event.wall)?.delete(id);
    this.touchWall(event.wall);
  }

  private remember(event: WallEvent): void {
    this.eventsById.set(event.id, event);
    let wall = this.eventsByWall.get(event.wall);
    if (!wall) this.eventsByWall.set(event.wall, (wall = new Map()));
    wall.set(event.id, event);
    this.touchWall(event.wall);
    if (event.kind === "post") {
      for (const photo of (event.body as PostBody).photos ?? []) {
        for (const hash of [photo.full, photo.thumb]) {
          let posts = this.photoPosts.get(hash);
          if (!posts) this.photoPosts.set(hash, (posts = new Set()));
          posts.add(event.id);
        }
      }
    }
    if (event.seq !== undefined && event.seq > (this.maxSeq.get(event.wall) ?? 0)) this.maxSeq.set(event.wall, event.seq);
  }

  start(): void {
    this.transport.setHandlers({
      link: (link) => this.onLink(link),
      presence: (handle, online) => this.onPresence(handle, online),
      unavailable: (handle) => this.onUnavailable(handle),
      broker: (online) => this.onBroker(online),
    });
    this.needPhotos(this.eventsById.values());
    this.keepalive = setInterval(() => {
      const quiet = this.now() - KEEPALIVE_MS;
      for (const session of this.sessions.values()) if (session.lastHeard < quiet) this.probe(session);
    }, KEEPALIVE_MS);
  }

  /** Closes every link and stops every timer: the engine is done (a log-out, a take-over). */
  stop(): void {
    clearInterval(this.keepalive);
    for (const entry of this.retry.values()) clearTimeout(entry.timer);
    this.retry.clear();
    for (const handle of [...this.sessions.keys()]) this.closeSession(handle);
    clearTimeout(this.notifyTimer);
    this.listeners.clear();
  }

  // --- observing --------------------------------------------------------------------

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    // Listeners (the views) hear of a burst of changes once: a catch-up changes things hundreds
    // of times a second, and re-rendering each time would cost more than the catch-up itself.
    if (this.notifyTimer !== undefined || !this.listeners.size) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const listener of this.listeners) listener();
    }, NOTIFY_MS);
  }

  /** Something the views show changed outside the engine (a photo's progress). */
  notifyChanged(): void {
    this.changed();
  }

  /** Records a dropped frame or message from a peer, with the reason. */
  reportDrop(from: string, reason: string): void {
    this.drop(from, reason);
  }

  private drop(from: string, reason: string): void {
    this.logger(`dropped a frame from @${from}: ${reason}`);
    this.dropped.push({ at: this.now(), from, reason });
    if (this.dropped.length > MAX_DROPPED) this.dropped.shift();
  }

  get publicKey(): string {
    return this.identity.publicKey;
  }

  friend(handle: string): FriendRecord | undefined {
    return this.friendsByHandle.get(handle);
  }

  isFriend(handle: string): boolean {
    return this.friendsByHandle.get(handle)?.state === "accepted";
  }

  friends(): FriendView[] {
    return [...this.friendsByHandle.values()]
      .filter((f) => f.state !== "declined")
      .map((f) => ({
        handle: f.handle,
        state: f.state,
        online: this.onlineHandles.has(f.handle),
        connected: this.sessions.get(f.handle)?.trusted ?? false,
        unread: f.state === "accepted" ? this.unread(f.handle) : 0,
        keyChanged: f.changedKey !== undefined,
      }))
      .sort((a, b) => a.handle.localeCompare(b.handle));
  }

  private wallEvents(handle: string): Iterable<WallEvent> {
    return this.eventsByWall.get(handle)?.values() ?? [];
  }

  wall(handle: string): PostView[] {
    const version = this.wallVersions.get(handle) ?? 0;
    const cached = this.wallCache.get(handle);
    if (cached && cached.version === version) return cached.posts;
    const posts = buildWall(handle, this.wallEvents(handle), new Set(this.outboxById.keys()));
    this.wallCache.set(handle, { version, posts });
    return posts;
  }

  /** Everything on my wall and my friends' walls, newest first: the news feed. */
  feed(): { wall: string; post: PostView }[] {
    const walls = [this.me, ...[...this.friendsByHandle.values()].filter((f) => f.state === "accepted").map((f) => f.handle)];
    const key = walls.map((w) => `${w}:${this.wallVersions.get(w) ?? 0}`).join(" ");
    if (this.feedCache?.key === key) return this.feedCache.items;
    const items = walls
      .flatMap((wall) => this.wall(wall).map((post) => ({ wall, post })))
      .sort((a, b) => b.post.event.ts - a.post.event.ts);
    this.feedCache = { key, items };
    return items;
  }

  /** Posts by others that arrived after the ``after``-th arrival (at most the last 50). */
  arrivedSince(after: number): { count: number; posts: { author: string; wall: string }[] } {
    return { count: this.arrivalCount, posts: this.arrivals.filter((a) => a.n > after) };
  }

  private arrived(events: WallEvent[]): void {
    for (const e of events) {
      if (e.kind !== "post" || e.author === this.me) continue;
      this.arrivals.push({ n: ++this.arrivalCount, id: e.id, author: e.author, wall: e.wall });
    }
    if (this.arrivals.length > 50) this.arrivals = this.arrivals.slice(-50);
  }

  /** The highest sequence number I hold of a wall: where a catch-up starts. */
  cursor(wall: string): number {
    return this.maxSeq.get(wall) ?? 0;
  }

  unread(wall: string): number {
    const read = this.lastRead.get(wall) ?? 0;
    let count = 0;
    for (const e of this.wallEvents(wall)) {
      if (e.seq !== undefined && e.seq > read && e.author !== this.me && (e.kind === "post" || e.kind === "comment")) count++;
    }
    return count;
  }

  async markRead(wall: string): Promise<void> {
    const seq = this.cursor(wall);
    if ((this.lastRead.get(wall) ?? 0) >= seq) return;
    this.lastRead.set(wall, seq);
    await this.repo.saveMeta("lastRead", Object.fromEntries(this.lastRead));
    this.changed();
  }

  pendingCount(): number {
    return this.outboxById.size;
  }

  isPending(id: string): boolean {
    return this.outboxById.has(id);
  }

  // --- photos -------------------------------------------------------------------------

  /** Who can send me this photo: the owners of the walls it is on, and its authors. */
  photoSources(hash: string): string[] {
    const sources = new Set<string>();
    for (const id of this.photoPosts.get(hash) ?? []) {
      const event = this.eventsById.get(id);
      if (!event) continue;
      for (const who of [event.wall, event.author]) if (who !== this.me && this.isFriend(who)) sources.add(who);
    }
    return [...sources];
  }

  /** May a friend have this photo from me? If it is on my wall, or in a post I wrote. */
  mayServe(hash: string, peer: string): boolean {
    if (!this.isFriend(peer)) return false;
    for (const id of this.photoPosts.get(hash) ?? []) {
      const event = this.eventsById.get(id);
      if (event && (event.wall === this.me || event.author === this.me)) return true;
    }
    return false;
  }

  /** The open link to a friend whose key is proven, for blob traffic. */
  trustedLink(peer: string): Link | undefined {
    const session = this.sessions.get(peer);
    return session?.trusted ? session.link : undefined;
  }

  /** Thumbnails of every post I hold; full images too of posts on my wall, which I serve. */
  private photoNeeds(events: Iterable<WallEvent>): PhotoNeed[] {
    const needs: PhotoNeed[] = [];
    for (const event of events) {
      if (event.kind !== "post") continue;
      for (const photo of (event.body as PostBody).photos ?? []) {
        const sources = this.photoSources(photo.thumb);
        if (!sources.length) continue;
        // Photos on my wall are my wall's: I keep them (freeing space spares them) to serve them.
        const keep = event.wall === this.me;
        needs.push({ hash: photo.thumb, sources, keep });
        if (keep) needs.push({ hash: photo.full, sources, keep });
      }
    }
    return needs;
  }

  private needPhotos(events: Iterable<WallEvent>): void {
    if (!this.blobs) return;
    const needs = this.photoNeeds(events);
    if (needs.length) this.blobs.need(needs);
  }

  // --- commands from the UI ----------------------------------------------------------

  /** Sends a friend request; resolves to a sentence for the person, or throws one. */
  async addFriend(typed: string): Promise<string> {
    const wanted = typed.trim().replace(/^@/, "");
    if (!isHandle(wanted)) throw new Error("A handle is 1–15 letters, digits or single underscores.");
    const handle = await this.lookup(wanted);
    if (!handle) throw new Error(`There is no one called @${wanted} on Peerwall.`);
    if (handle === this.me) throw new Error("That is you.");
    const existing = this.friendsByHandle.get(handle);
    if (existing?.state === "accepted") throw new Error(`@${handle} is already your friend.`);
    if (existing?.state === "blocked") throw new Error(`You blocked @${handle}; unblock them first.`);
    if (existing?.state === "requested-in") {
      await this.accept(handle);
      return `@${handle} had asked you already: you are now friends.`;
    }
    await this.saveFriend({ handle, state: "requested-out", since: this.now() });
    this.rewatch();
    this.resetRetry(handle);
    this.dial(handle);
    return `Friend request for @${handle} sent. It arrives when they are online.`;
  }

  async accept(handle: string): Promise<void> {
    const friend = this.friendsByHandle.get(handle);
    if (!friend || friend.state !== "requested-in") return;
    await this.saveFriend({ ...friend, state: "accepted", since: this.now() });
    this.rewatch();
    const session = this.sessions.get(handle);
    if (session?.proven) {
      session.link.send({ t: "friend-accept" });
      this.trust(session);
    } else {
      this.dial(handle);
    }
  }

  async decline(handle: string): Promise<void> {
    const friend = this.friendsByHandle.get(handle);
    if (!friend || friend.state !== "requested-in") return;
    await this.saveFriend({ ...friend, state: "declined" });
    this.rewatch();
    this.sessions.get(handle)?.link.send({ t: "friend-decline" });
  }

  async unfriend(handle: string): Promise<void> {
    if (!this.friendsByHandle.has(handle)) return;
    this.sessions.get(handle)?.link.send({ t: "unfriend" });
    await this.forget(handle);
  }

  async block(handle: string): Promise<void> {
    const friend = this.friendsByHandle.get(handle);
    this.sessions.get(handle)?.link.send({ t: "unfriend" });
    await this.saveFriend({ handle, state: "blocked", since: this.now(), key: friend?.key });
    this.closeSession(handle);
    this.rewatch();
  }

  async unblock(handle: string): Promise<void> {
    if (this.friendsByHandle.get(handle)?.state === "blocked") await this.forget(handle);
  }

  /** Trusts the new key a friend presented (after comparing safety numbers). */
  async confirmKey(handle: string): Promise<void> {
    const friend = this.friendsByHandle.get(handle);
    if (!friend?.changedKey) return;
    await this.saveFriend({ ...friend, key: friend.changedKey, changedKey: undefined });
    const session = this.sessions.get(handle);
    if (session?.proven) this.trust(session);
  }

  post(wall: string, text: string, photos?: PhotoRef[]): Promise<SignedEvent> {
    const body = photos?.length ? { text, photos } : { text };
    return this.write(wall, "post", body);
  }

  comment(wall: string, post: string, text: string): Promise<SignedEvent> {
    return this.write(wall, "comment", { post, text });
  }

  like(wall: string, target: string, on: boolean): Promise<SignedEvent> {
    return this.write(wall, "like", { target, on });
  }

  remove(wall: string, target: string): Promise<SignedEvent> {
    return this.write(wall, "delete", { target });
  }

  private async write(wall: string, kind: Kind, body: Body): Promise<SignedEvent> {
    if (wall !== this.me && !this.isFriend(wall)) throw new Error(`You can write only on your friends' walls.`);
    const problem = this.refusal(wall, this.me, kind, body);
    if (problem) throw new Error(problem);
    const event = await createEvent(this.identity, this.me, wall, kind, body, this.now());
    if (wall === this.me) {
      await this.appendToMyWall(event);
    } else {
      const item: OutboxRecord = { id: event.id, to: wall, createdAt: this.now() };
      await this.repo.write({ events: [event as StoredEvent], outboxAdd: [item] });
      this.remember(event);
      this.outboxById.set(item.id, item);
      this.changed();
      const owner = this.sessions.get(wall);
      if (owner?.trusted) owner.link.send({ t: "deliver", event });
    }
    return event;
  }

  /** Why ``author`` may not write this on ``wall`` as things stand, or null. */
  private refusal(wall: string, author: string, kind: Kind, body: Body): string | null {
    const target = (id: string) => {
      const e = this.eventsById.get(id);
      return e && e.wall === wall ? e : undefined;
    };
    const deleted = (id: string) =>
      [...this.wallEvents(wall)].some((e) => e.kind === "delete" && (e.body as DeleteBody).target === id);
    switch (kind) {
      case "post":
        return null;
      case "comment": {
        const post = target((body as CommentBody).post);
        if (!post || post.kind !== "post") return "That post is not on this wall.";
        return deleted(post.id) ? "That post was deleted." : null;
      }
      case "like": {
        const post = target((body as LikeBody).target);
        if (!post || post.kind !== "post") return "That post is not on this wall.";
        return deleted(post.id) ? "That post was deleted." : null;
      }
      case "delete": {
        const victim = target((body as DeleteBody).target);
        if (!victim || victim.kind === "delete") return "There is nothing to delete.";
        return mayDelete(author, victim, wall) ? null : "Only its author or the wall's owner may delete this.";
      }
    }
  }

  private appendToMyWall(event: SignedEvent): Promise<WallEvent> {
    return this.writes.run(async () => {
      const existing = this.eventsById.get(event.id);
      if (existing?.seq !== undefined) return existing;
      const stored: WallEvent = { ...event, seq: this.cursor(this.me) + 1 };
      await this.repo.write({ events: [stored as StoredEvent] });
      this.remember(stored);
      this.changed();
      this.broadcast(stored);
      if (stored.author !== this.me) {
        this.arrived([stored]);
        this.needPhotos([stored]);
      }
      return stored;
    });
  }

  private broadcast(event: WallEvent): void {
    const keys = this.keysFor([event]);
    for (const session of this.sessions.values()) {
      if (session.trusted) session.link.send({ t: "event", event, keys });
    }
  }

  private keysFor(events: WallEvent[]): Record<string, string> {
    const keys: Record<string, string> = {};
    for (const e of events) {
      const key = this.keyOf(e.author);
      if (key) keys[e.author] = key;
    }
    return keys;
  }

  private keyOf(handle: string): string | undefined {
    if (handle === this.me) return this.identity.publicKey;
    const friend = this.friendsByHandle.get(handle);
    return friend?.state === "accepted" ? friend.key : undefined;
  }

  // --- friends' records ------------------------------------------------------------

  private async saveFriend(record: FriendRecord): Promise<void> {
    await this.repo.saveFriend(record);
    this.friendsByHandle.set(record.handle, record);
    this.changed();
  }

  private async forget(handle: string): Promise<void> {
    await this.repo.deleteFriend(handle);
    this.friendsByHandle.delete(handle);
    this.closeSession(handle);
    this.rewatch();
    this.changed();
  }

  private watched(): string[] {
    return [...this.friendsByHandle.values()]
      .filter((f) => f.state === "accepted" || f.state === "requested-out" || f.state === "requested-in")
      .map((f) => f.handle);
  }

  private rewatch(): void {
    this.transport.watch(this.watched());
  }

  // --- the network -------------------------------------------------------------------

  private onBroker(online: boolean): void {
    this.brokerOnline = online;
    if (!online) {
      this.onlineHandles.clear();
    } else {
      this.rewatch();
      // Strangers I asked cannot tell me they came online: try them now and then.
      for (const f of this.friendsByHandle.values()) if (f.state === "requested-out") this.dial(f.handle);
    }
    this.changed();
  }

  private onPresence(handle: string, online: boolean): void {
    if (online) this.onlineHandles.add(handle);
    else this.onlineHandles.delete(handle);
    this.changed();
    // Coming or going on the broker may mean a reloaded page: is our link still alive?
    const session = this.sessions.get(handle);
    if (session) return this.probe(session);
    if (!online || !this.friendsByHandle.has(handle)) return;
    // Both sides see each other come online at once. The smaller handle dials; the other
    // dials only if that call has not arrived after a grace period.
    if (this.me.toLowerCase() < handle.toLowerCase()) this.dial(handle);
    else setTimeout(() => !this.sessions.has(handle) && this.onlineHandles.has(handle) && this.dial(handle), DIAL_GRACE_MS);
  }

  private onUnavailable(handle: string): void {
    this.onlineHandles.delete(handle);
    // PeerJS made a link for the failed dial and never closes it: drop it, or the retry's
    // dial() would find a session for this handle and do nothing.
    const session = this.sessions.get(handle);
    if (session && !session.proven) this.closeSession(handle, session);
    this.scheduleRetry(handle);
  }

  private dial(handle: string): void {
    const state = this.friendsByHandle.get(handle)?.state;
    if (!this.brokerOnline || this.sessions.has(handle) || !state || state === "blocked" || state === "declined") return;
    this.transport.dial(handle);
  }

  private resetRetry(handle: string): void {
    const entry = this.retry.get(handle);
    if (entry?.timer) clearTimeout(entry.timer);
    this.retry.delete(handle);
  }

  /** Pings a link; if nothing comes back in time, it is closed and dialed again. */
  private probe(session: Session): void {
    // A new probe wants a new answer: a pong to an older ping may predate the link's death.
    clearTimeout(session.probing);
    const sentAt = this.now();
    session.link.send({ t: "ping", n: sentAt });
    session.probing = setTimeout(() => {
      session.probing = undefined;
      if (session.lastHeard >= sentAt || this.sessions.get(session.link.peer) !== session) return;
      this.drop(session.link.peer, "the link stopped answering");
      this.closeSession(session.link.peer, session);
      this.scheduleRetry(session.link.peer);
    }, PROBE_MS);
  }

  private scheduleRetry(handle: string): void {
    const state = this.friendsByHandle.get(handle)?.state;
    // Strangers I asked cannot tell me they are online: poll them. Friends announce
    // themselves through presence, so they are retried only while they are online.
    const wanted = state === "requested-out" || (state === "accepted" && this.onlineHandles.has(handle));
    if (!wanted) return;
    const entry = this.retry.get(handle) ?? { attempt: 0 };
    if (entry.timer) return;
    const wait = RETRY_MS[Math.min(entry.attempt, RETRY_MS.length - 1)]!;
    entry.attempt++;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.dial(handle);
    }, wait);
    this.retry.set(handle, entry);
  }

  private onLink(link: Link): void {
    const peer = link.peer;
    if (!isHandle(peer) || peer === this.me || this.friendsByHandle.get(peer)?.state === "blocked") {
      link.close();
      return;
    }
    const existing = this.sessions.get(peer);
    if (existing) {
      // Two links to one friend (both dialed at once): keep the one the smaller handle dialed,
      // and of two dialed by the same side, the newer. Both sides choose the same one.
      const dialer = (l: Link) => (l.initiator ? this.me : l.peer).toLowerCase();
      const keepNew = dialer(link) <= dialer(existing.link);
      if (!keepNew) {
        link.close();
        return;
      }
      this.closeSession(peer);
    }
    const session: Session = {
      link,
      nonce: randomId(18),
      proven: false,
      trusted: false,
      inbox: new Serial(),
      lastHeard: this.now(),
      catchUp: { events: [], delivered: [] },
    };
    this.sessions.set(peer, session);
    link.onOpen = () => {
      link.send({ t: "hello", v: PROTOCOL_VERSION, handle: this.me, key: this.identity.publicKey, nonce: session.nonce });
    };
    link.onFrame = (raw) => {
      session.lastHeard = this.now();
      void session.inbox.run(() => this.onFrame(session, raw));
    };
    link.onBinary = (message) => {
      session.lastHeard = this.now();
      // In the same queue as frames: a blob's chunks follow its blob-info, in order.
      void session.inbox.run(async () => {
        if (!session.trusted) return this.drop(peer, "binary data from someone who is not a trusted friend");
        await this.blobs?.onChunk(peer, message);
      });
    };
    link.onDrain = () => this.blobs?.onDrain(peer);
    link.onClose = () => {
      if (this.sessions.get(peer) === session) {
        this.sessions.delete(peer);
        clearTimeout(session.timer);
        clearTimeout(session.probing);
        if (session.trusted) this.blobs?.onGone(peer);
        this.changed();
        this.scheduleRetry(peer);
      }
    };
    session.timer = setTimeout(() => {
      if (!session.proven) {
        this.drop(peer, "no proof of identity in time");
        this.closeSession(peer, session);
        // A dial that went unanswered (the broker says "unavailable" only once in a while): try again.
        this.scheduleRetry(peer);
      }
    }, PROOF_TIMEOUT_MS);
  }

  private closeSession(handle: string, only?: Session): void {
    const session = this.sessions.get(handle);
    if (!session || (only && session !== only)) return;
    this.sessions.delete(handle);
    clearTimeout(session.timer);
    clearTimeout(session.probing);
    session.link.close();
    if (session.trusted) this.blobs?.onGone(handle);
    this.changed();
  }

  private async onFrame(session: Session, raw: unknown): Promise<void> {
    const peer = session.link.peer;
    if (this.sessions.get(peer) !== session) return;
    if (JSON.stringify(raw)?.length > MAX_FRAME_BYTES) return this.drop(peer, "frame too large");
    const parsed = parseFrame(raw, this.now());
    if (!parsed.ok) return this.drop(peer, parsed.reason);
    const frame = parsed.frame;
    try {
      if (frame.t === "ping") return void session.link.send({ t: "pong", n: frame.n });
      if (frame.t === "pong") return;
      if (frame.t === "hello") return await this.onHello(session, frame);
      if (frame.t === "proof") return await this.onProof(session, frame.sig);
      if (!session.proven) return this.drop(peer, `${frame.t} before proof of identity`);
      switch (frame.t) {
        case "friend-request":
          return await this.onFriendRequest(session);
        case "friend-accept":
          return await this.onFriendAccept(session);
        case "friend-decline":
          return await this.onFriendDecline(peer);
        case "unfriend":
          return await this.onUnfriend(peer);
      }
      if (!session.trusted) return this.drop(peer, `${frame.t} from someone who is not a trusted friend`);
      switch (frame.t) {
        case "sync":
          return this.onSync(session, frame.wall, frame.since);
        case "events":
          return await this.onEvents(session, frame.wall, frame.events, frame.keys, frame.upto, frame.done);
        case "event":
          return await this.onEvents(session, frame.event.wall, [frame.event], frame.keys, null, true);
        case "deliver":
          return await this.onDeliver(session, frame.event);
        case "ack":
          return await this.onAck(session, frame.id, frame.seq);
        case "nack":
          return await this.onNack(session, frame.id, frame.reason);
        case "blob-get":
        case "blob-info":
        case "blob-none":
          return await this.blobs?.onFrame(peer, frame);
      }
    } catch (error) {
      this.drop(peer, `error handling ${frame.t}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async onHello(session: Session, hello: Extract<Frame, { t: "hello" }>): Promise<void> {
    const peer = session.link.peer;
    // The broker stamped who this link is from; a hello claiming another handle is a lie.
    if (hello.handle !== peer) return this.drop(peer, `hello claims to be @${hello.handle}`);
    if (session.hello) return this.drop(peer, "a second hello");
    session.hello = hello;
    const sig = await sign(this.identity, proofMessage(hello.nonce, this.me, peer, this.identity.publicKey));
    session.link.send({ t: "proof", sig });
  }

  private async onProof(session: Session, sig: string): Promise<void> {
    const peer = session.link.peer;
    const hello = session.hello;
    if (!hello || session.proven) return this.drop(peer, "proof out of turn");
    if (!(await verify(hello.key, proofMessage(session.nonce, peer, this.me, hello.key), sig))) {
      this.drop(peer, "proof of identity does not verify");
      this.closeSession(peer, session);
      return;
    }
    session.proven = true;
    clearTimeout(session.timer);
    this.resetRetry(peer);
    const friend = this.friendsByHandle.get(peer);
    switch (friend?.state) {
      case "accepted":
        if (friend.key && friend.key !== hello.key) {
          if (friend.changedKey !== hello.key) await this.saveFriend({ ...friend, changedKey: hello.key });
          this.drop(peer, "presented a key different from the one pinned; waiting for confirmation");
          return;
        }
        if (!friend.key) await this.saveFriend({ ...friend, key: hello.key });
        session.link.send({ t: "friend-accept" });
        this.trust(session);
        return;
      case "requested-out":
        session.link.send({ t: "friend-request" });
        return;
      case "declined":
        session.link.send({ t: "friend-decline" });
        return;
      default:
        this.changed();
    }
  }

  /** A proven friend with the pinned key: catch up both ways, then stream live. */
  private trust(session: Session): void {
    const peer = session.link.peer;
    const friend = this.friendsByHandle.get(peer);
    if (!session.hello || friend?.state !== "accepted" || friend.key !== session.hello.key) return;
    if (session.trusted) return;
    session.trusted = true;
    session.link.send({ t: "sync", wall: peer, since: this.cursor(peer) });
    for (const item of this.outboxById.values()) {
      const event = this.eventsById.get(item.id);
      if (item.to === peer && event) session.link.send({ t: "deliver", event: stripSeq(event) });
    }
    this.blobs?.onTrusted(peer);
    this.changed();
  }

  private async onFriendRequest(session: Session): Promise<void> {
    const peer = session.link.peer;
    const key = session.hello!.key;
    const friend = this.friendsByHandle.get(peer);
    if (!friend) {
      await this.saveFriend({ handle: peer, state: "requested-in", key, since: this.now() });
      this.rewatch();
    } else if (friend.state === "requested-out") {
      // We both asked: that is a yes from both.
      await this.saveFriend({ ...friend, state: "accepted", key, since: this.now() });
      this.rewatch();
      session.link.send({ t: "friend-accept" });
      this.trust(session);
    } else if (friend.state === "requested-in" && friend.key !== key) {
      await this.saveFriend({ ...friend, key });
    } else if (friend.state === "accepted") {
      // They lost us (a new browser without a backup): tell them we are friends.
      session.link.send({ t: "friend-accept" });
    }
  }

  private async onFriendAccept(session: Session): Promise<void> {
    const peer = session.link.peer;
    const friend = this.friendsByHandle.get(peer);
    if (friend?.state !== "requested-out") return;
    await this.saveFriend({ ...friend, state: "accepted", key: session.hello!.key, since: this.now() });
    this.rewatch();
    this.trust(session);
  }

  private async onFriendDecline(peer: string): Promise<void> {
    const friend = this.friendsByHandle.get(peer);
    if (friend?.state !== "requested-out") return;
    this.resetRetry(peer);
    await this.saveFriend({ ...friend, state: "declined" });
    this.rewatch();
  }

  private async onUnfriend(peer: string): Promise<void> {
    const state = this.friendsByHandle.get(peer)?.state;
    if (state === "accepted" || state === "requested-out" || state === "requested-in") await this.forget(peer);
  }

  /** A friend asks for my wall since a sequence number: I stream it in batches. */
  private onSync(session: Session, wall: string, since: number): void {
    const peer = session.link.peer;
    if (wall !== this.me) return this.drop(peer, `asked for @${wall}'s wall, which only its owner serves`);
    const events = [...this.wallEvents(this.me)]
      .filter((e) => e.seq !== undefined && e.seq > since)
      .sort((a, b) => a.seq! - b.seq!);
    for (const frame of batchEvents(this.me, events, (a) => this.keyOf(a), this.cursor(this.me))) {
      if (frameSize(frame) > MAX_FRAME_BYTES) continue; // cannot happen for checked events
      session.link.send(frame);
    }
  }

  /** Events of a friend's wall, from that friend (its owner), in sequence order. */
  private async onEvents(
    session: Session,
    wall: string,
    events: WallEvent[],
    keys: Record<string, string>,
    upto: number | null,
    done: boolean,
  ): Promise<void> {
    const peer = session.link.peer;
    if (wall !== peer) return this.drop(peer, `sent events of @${wall}'s wall, which only its owner serves`);
    const before = this.cursor(wall);
    // A catch-up's batches are stored together (fewer, larger transactions); a live event at once.
    const accepted = session.catchUp.events;
    const delivered = session.catchUp.delivered;
    // Friends' keys are pinned; for the owner's other friends, the owner vouches.
    const keyFor = (author: string) =>
      author === this.me || this.isFriend(author) ? this.keyOf(author) : keys[author];
    // All of a batch's signatures are checked at once: WebCrypto answers each asynchronously.
    const verdicts = await Promise.all(
      events.map((event) => {
        const key = event.wall === wall ? keyFor(event.author) : undefined;
        return key ? verifyEvent(event, key) : Promise.resolve(false);
      }),
    );
    events.forEach((event, i) => {
      if (event.wall !== wall) return this.drop(peer, `event ${event.id} belongs to @${event.wall}'s wall`);
      if (!verdicts[i]) return this.drop(peer, `event ${event.id} by @${event.author}: signature does not verify`);
      if (this.eventsById.get(event.id)?.seq !== undefined) return;
      accepted.push(event);
      if (this.outboxById.has(event.id)) delivered.push(event.id);
    });
    if (!done && accepted.length < CATCH_UP_WRITE) return;
    session.catchUp = { events: [], delivered: [] };
    if (accepted.length) {
      await this.repo.write({ events: accepted as StoredEvent[], outboxRemove: delivered });
      for (const e of accepted) this.remember(e);
      for (const id of delivered) this.outboxById.delete(id);
      this.arrived(accepted);
      this.changed();
      this.needPhotos(accepted);
    }
    // A live event beyond what I hold means I missed some: catch up from my cursor.
    if (upto === null && events[0]?.seq !== undefined && events[0].seq > before + 1) {
      session.link.send({ t: "sync", wall, since: this.cursor(wall) });
    }
  }

  /** A friend's post, comment, like or delete for my wall. */
  private async onDeliver(session: Session, event: SignedEvent): Promise<void> {
    const peer = session.link.peer;
    if (event.wall !== this.me) return this.drop(peer, `delivered an event for @${event.wall}'s wall to me`);
    if (event.author !== peer) return this.drop(peer, `delivered an event claiming @${event.author} wrote it`);
    const key = this.keyOf(peer);
    if (!key || !(await verifyEvent(event, key))) return this.drop(peer, `delivery ${event.id}: signature does not verify`);
    const known = this.eventsById.get(event.id);
    if (known) {
      if (known.seq !== undefined && known.author === peer) session.link.send({ t: "ack", id: event.id, seq: known.seq });
      return;
    }
    const problem = this.refusal(this.me, peer, event.kind, event.body);
    if (problem) {
      session.link.send({ t: "nack", id: event.id, reason: problem });
      return;
    }
    const stored = await this.appendToMyWall(event);
    session.link.send({ t: "ack", id: event.id, seq: stored.seq! });
  }

  private async onAck(session: Session, id: string, seq: number): Promise<void> {
    const peer = session.link.peer;
    const item = this.outboxById.get(id);
    const event = this.eventsById.get(id);
    if (!item || item.to !== peer || !event) return;
    const stored = { ...event, seq };
    await this.repo.write({ events: [stored as StoredEvent], outboxRemove: [id] });
    this.remember(stored);
    this.outboxById.delete(id);
    this.changed();
  }

  private async onNack(session: Session, id: string, reason: string): Promise<void> {
    const item = this.outboxById.get(id);
    if (!item || item.to !== session.link.peer) return;
    // The owner will never take it (say, the post was deleted): it is gone, and we say why.
    this.logger(`@${session.link.peer} refused ${id}: ${reason}`);
    await this.repo.write({ outboxRemove: [id], eventsRemove: [id] });
    this.outboxById.delete(id);
    this.forgetEvent(id);
    this.changed();
  }
}
