// The sync core's face: the one object the views ask and command. The parts it is made of are
// built and wired in assembly.ts; every rule and every protocol step lives in a part:
//
//   state/     eventLog, outbox, friendBook, devices, views, notices, arrivals, budgets: what I hold
//   peers/     session (one link, proven), connections (dialing, presence, retries)
//   protocol/  friendship, wallSync, delivery, selfSync (my devices), linking, and the router
//   policy.ts  the rules, as pure functions
//
// Plain TypeScript: it talks to a Transport and a Repository, never to the DOM or PeerJS.
import type { FrameDecoder } from "./decode/decoder";
import type { Identity, StoredIdentity } from "../crypto/identity";
import type { BlobRecord, FriendRecord } from "../store/db";
import type { Repository } from "../store/repository";
import type { DeviceView, LinkOffer } from "./devices/types";
import type { Dropped } from "./diagnostics";
import type { PhotoRef, SignedEvent } from "./events";
import type { Words } from "./outcomes";
import type { PhotoHost, PhotoPort } from "./photoPort";
import { photoNeeds, photoSource } from "./policy";
import type { HandleLookup } from "./protocol/friendship";
import { assemble, type Parts } from "./assembly";
import type { CarriedUse } from "./state/carried";
import type { Notice } from "./state/notices";
import type { FriendView } from "./state/views";
import type { Transport } from "./transport";
import type { PostView } from "./wall";

export type { Dropped } from "./diagnostics";
export type { HandleLookup } from "./protocol/friendship";
export type { Notice } from "./state/notices";
export type { FriendView } from "./state/views";

export interface EngineOptions {
  me: string;
  /** This browser's device id (``me-device`` on the broker); "" for one browser without devices. */
  device?: string;
  /** What this device is called in my device list when it is first made. */
  deviceName?: string;
  /** My key as stored: what the recovery phrase writes and a new device of mine receives. */
  storedIdentity?: () => Promise<StoredIdentity | undefined>;
  identity: Identity;
  repo: Repository;
  transport: Transport;
  lookup: HandleLookup;
  /** Builds the photo exchange (media/exchange.ts) on the host the engine gives it; without
   * it, photos are neither fetched nor served. */
  photos?: (host: PhotoHost) => PhotoPort;
  /** The sentences of outcomes (ui/words.ts); codes alone without it. */
  words?: Words;
  /** Friends carry walls and writes between friends who are never online together (default on). */
  storeAndForward?: boolean;
  /** Where frames are parsed and batch signatures checked: a Worker in the app, inline without one. */
  decoder?: FrameDecoder;
  now?: () => number;
  log?: (message: string) => void;
}

/** Views are told of changes at most this often. */
const NOTIFY_MS = 50;
/** A change of friends is published (a signed friend list on my wall) once it has settled this long. */
const PUBLISH_MS = 1_000;

export class Engine {
  readonly me: string;
  version = 0;
  private readonly listeners = new Set<() => void>();
  private notifyTimer?: ReturnType<typeof setTimeout>;
  private publishTimer?: ReturnType<typeof setTimeout>;
  private stopped = false;

  private constructor(
    private readonly options: EngineOptions,
    private readonly parts: Parts,
  ) {
    this.me = options.me;
  }

  static async open(options: EngineOptions): Promise<Engine> {
    let engine: Engine | undefined;
    const parts = await assemble(options, { changed: () => engine?.changed(), publish: () => engine?.schedulePublish() });
    engine = new Engine(options, parts);
    return engine;
  }

  start(): void {
    this.parts.connections.start();
    this.parts.photos?.need(photoNeeds(this.parts.log.all(), this.me));
    // Walls written before places were signed get their signatures, then my friend list.
    void this.parts.delivery.signMyOrder().then(() => this.schedulePublish());
  }

  /** Closes every link and stops every timer: the engine is done (a log-out, a take-over). */
  stop(): void {
    this.stopped = true;
    this.parts.linking.stop();
    this.parts.connections.stop();
    clearTimeout(this.notifyTimer);
    clearTimeout(this.publishTimer);
    this.listeners.clear();
  }

  /** Publishes my friend list (a signed event on my wall) once changes have settled. */
  private schedulePublish(): void {
    if (this.stopped) return;
    clearTimeout(this.publishTimer);
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      const friends = this.parts.book.accepted().map((f) => f.name ?? f.handle);
      const removed = this.parts.devices.all().filter((d) => d.removed).map((d) => d.id);
      void this.parts.delivery.publishFriends(friends, removed).catch((error: unknown) => this.parts.diagnostics.note(`friend list not published: ${String(error)}`));
    }, PUBLISH_MS);
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

  // --- queries ----------------------------------------------------------------------

  get publicKey(): string {
    return this.options.identity.publicKey;
  }

  get brokerOnline(): boolean {
    return this.parts.connections.brokerOnline;
  }

  /** The last frames dropped from peers, and why. */
  get dropped(): readonly Dropped[] {
    return this.parts.diagnostics.dropped;
  }

  friend(handle: string): FriendRecord | undefined {
    return this.parts.book.get(handle);
  }

  isFriend(handle: string): boolean {
    return this.parts.book.isFriend(handle);
  }

  friends(): FriendView[] {
    return this.parts.views.friends();
  }

  wall(handle: string): PostView[] {
    return this.parts.views.wall(handle);
  }

  /** Everything on my wall and my friends' walls, newest first: the news feed. */
  feed(): { wall: string; post: PostView }[] {
    return this.parts.views.feed();
  }

  /** The highest sequence number I hold of a wall: where a catch-up starts. */
  cursor(wall: string): number {
    return this.parts.log.cursor(wall);
  }

  unread(wall: string): number {
    return this.parts.views.unread(wall);
  }

  async markRead(wall: string): Promise<void> {
    if (await this.parts.views.markRead(wall)) this.changed();
  }

  pendingCount(): number {
    return this.parts.outbox.size;
  }

  isPending(id: string): boolean {
    return this.parts.outbox.has(id);
  }

  /** Who can send me this photo: friends who own a wall it is on, or wrote a post carrying it. */
  photoSources(hash: string): string[] {
    return photoSource(hash, this.parts.log.postsWithPhoto(hash), this.me, (h) => this.parts.book.isFriend(h))?.sources ?? [];
  }

  /** Posts by others that arrived after the ``after``-th arrival (at most the last 50). */
  arrivedSince(after: number): { count: number; posts: { author: string; wall: string }[] } {
    return this.parts.arrivals.since(after);
  }

  /** Notifications, newest first. */
  notices(): readonly Notice[] {
    return this.parts.notices.all();
  }

  unseenNotices(): number {
    return this.parts.notices.unseen();
  }

  async markNoticesSeen(): Promise<void> {
    if (await this.parts.notices.markSeen()) this.changed();
  }

  /** Who carried this event to me, while its wall's owner has not confirmed it. */
  via(id: string): string | undefined {
    return this.parts.log.via(id);
  }

  /** The writes I carry for friends, by friend, and the budget they share. */
  carrying(): CarriedUse {
    return this.parts.carried.use();
  }

  async setCarryBudget(bytes: number): Promise<void> {
    await this.parts.carried.setBudget(bytes);
    this.changed();
  }

  /** Serve friends the full-size photos of walls I carry (thumbnails only, otherwise). */
  async setCarryFullPhotos(on: boolean): Promise<void> {
    await this.parts.carried.setFullPhotos(on);
    this.changed();
  }

  // --- my devices -------------------------------------------------------------------

  /** This browser's device id (its peer id is ``me-device``). */
  get device(): string {
    return this.parts.devices.current;
  }

  /** Restored from my phrase, my friend list not back yet. */
  get restoring(): boolean {
    return this.parts.restore.on;
  }

  devices(): DeviceView[] {
    const online = new Set(this.parts.connections.ownSessions().map((s) => s.device));
    return this.parts.devices.list((id) => online.has(id));
  }

  async renameDevice(id: string, name: string): Promise<void> {
    await this.parts.devices.rename(id, name);
    this.parts.selfSync.devicesSaved();
    this.changed();
  }

  /** My devices stop syncing with it (it keeps my key: Settings says so). */
  async removeDevice(id: string): Promise<void> {
    await this.parts.devices.remove(id);
    this.parts.connections.closeDevice(this.me, id, "refused");
    this.schedulePublish(); // friends learn it from my signed friend list
    this.parts.selfSync.devicesSaved();
    this.changed();
  }

  /**
   * Before this browser takes a new key: my wall's places were signed with the old one, so they
   * go (the events stay, shown before the new wall, as friends keep them too), and my other
   * devices, which hold the old key, are mine no longer.
   */
  async startAnew(): Promise<void> {
    const { log, devices } = this.parts;
    await log.unorder(this.me);
    for (const d of devices.all()) if (d.id !== devices.current) await devices.remove(d.id);
  }

  /** Shows a one-time code a new browser of mine links with. */
  offerLink(): LinkOffer {
    return this.parts.linking.start();
  }

  linkOffer(): LinkOffer | undefined {
    return this.parts.linking.current();
  }

  cancelLink(): void {
    this.parts.linking.cancel();
  }

  /** My identity key as 24 words. */
  async recoveryPhrase(): Promise<string[]> {
    const stored = await this.options.storedIdentity?.();
    if (!stored) throw new Error("This browser cannot read its key back to write it as words.");
    const { phraseOf } = await import("../crypto/recoveryPhrase");
    return phraseOf(stored);
  }

  // --- commands from the UI ----------------------------------------------------------

  /** Sends a friend request; resolves to a sentence for the person, or throws a Refused. */
  addFriend(typed: string): Promise<string> {
    return this.parts.friendship.addFriend(typed);
  }

  accept(handle: string): Promise<void> {
    return this.parts.friendship.accept(handle);
  }

  decline(handle: string): Promise<void> {
    return this.parts.friendship.decline(handle);
  }

  unfriend(handle: string): Promise<void> {
    return this.parts.friendship.unfriend(handle);
  }

  block(handle: string): Promise<void> {
    return this.parts.friendship.block(handle);
  }

  unblock(handle: string): Promise<void> {
    return this.parts.friendship.unblock(handle);
  }

  confirmKey(handle: string): Promise<void> {
    return this.parts.friendship.confirmKey(handle);
  }

  /** ``blobs``: the photos' bytes, stored with the post in one transaction (all of it, or none). */
  post(wall: string, text: string, photos?: PhotoRef[], blobs?: BlobRecord[]): Promise<SignedEvent> {
    return this.parts.delivery.write(wall, "post", photos?.length ? { text, photos } : { text }, blobs);
  }

  comment(wall: string, post: string, text: string): Promise<SignedEvent> {
    return this.parts.delivery.write(wall, "comment", { post, text });
  }

  like(wall: string, target: string, on: boolean): Promise<SignedEvent> {
    return this.parts.delivery.write(wall, "like", { target, on });
  }

  remove(wall: string, target: string): Promise<SignedEvent> {
    return this.parts.delivery.write(wall, "delete", { target });
  }
}
