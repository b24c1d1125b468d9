// The sync core's face: it builds the parts, wires their events to each other, and gives the
// views one object to ask and command. Every rule and every protocol step lives in a part:
//
//   state/     eventLog, outbox, friendBook, views, notices, arrivals, budgets: what I hold
//   peers/     session (one link, proven), connections (dialing, presence, retries)
//   protocol/  friendship, wallSync, delivery, and the router between them
//   policy.ts  the rules, as pure functions
//
// Plain TypeScript: it talks to a Transport and a Repository, never to the DOM or PeerJS.
import type { Identity, StoredIdentity } from "../crypto/identity";
import type { BlobRecord, FriendRecord } from "../store/db";
import type { Repository } from "../store/repository";
import type { DeviceView, LinkOffer } from "./devices/types";
import { Diagnostics, type Dropped } from "./diagnostics";
import type { PhotoRef, SignedEvent, WallEvent } from "./events";
import { sameHandle } from "./handles";
import type { Words } from "./outcomes";
import { Connections, type Want } from "./peers/connections";
import type { PhotoHost, PhotoPort } from "./photoPort";
import { CARRY_BUDGET_BYTES, keptPhoto, mayServePhoto, PER_FRIEND, photoNeeds, photosLetGo, photoSource, widenSources } from "./policy";
import { Delivery } from "./protocol/delivery";
import { Friendship, type HandleLookup } from "./protocol/friendship";
import { Linking } from "./protocol/linking";
import { route } from "./protocol/router";
import { SelfSync } from "./protocol/selfSync";
import { WallSync } from "./protocol/wallSync";
import { Arrivals } from "./state/arrivals";
import { Budgets } from "./state/budgets";
import { Carried, type CarriedUse } from "./state/carried";
import { Devices } from "./state/devices";
import { EventLog } from "./state/eventLog";
import { FriendBook } from "./state/friendBook";
import { type Notice, Notices } from "./state/notices";
import { Outbox } from "./state/outbox";
import { type FriendView, Views } from "./state/views";
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
    private readonly diagnostics: Diagnostics,
    private readonly log: EventLog,
    private readonly outbox: Outbox,
    private readonly book: FriendBook,
    private readonly notices_: Notices,
    private readonly arrivals: Arrivals,
    private readonly connections: Connections,
    private readonly views: Views,
    private readonly friendship: Friendship,
    private readonly wallSync: WallSync,
    private readonly delivery: Delivery,
    private readonly carried: Carried,
    private readonly devices_: Devices,
    private readonly linking: Linking,
    private readonly selfSync: SelfSync,
    private readonly restore: { on: boolean },
    private readonly photos?: PhotoPort,
  ) {
    this.me = options.me;
  }

  static async open(options: EngineOptions): Promise<Engine> {
    const { me, identity, repo, transport, lookup } = options;
    const now = options.now ?? Date.now;
    const words = options.words ?? ((outcome) => outcome.code);
    const carry = options.storeAndForward ?? true;
    const diagnostics = new Diagnostics(now, options.log);
    const device = options.device ?? "";
    const [log, outbox, book, notices, carried, devices, restoring] = await Promise.all([
      EventLog.open(repo, now),
      Outbox.open(repo),
      FriendBook.open(repo, now),
      Notices.open(me, repo, now),
      Carried.open(repo, CARRY_BUDGET_BYTES, PER_FRIEND.carriedWrites),
      Devices.open(repo, device, now, options.deviceName),
      repo.meta<boolean>("restoring"),
    ]);
    // Restored from my phrase: my friend list comes back with my wall, from the friends themselves.
    const restore = { on: restoring === true };
    const budgets = new Budgets(now);
    const arrivals = new Arrivals(me);
    // The parts are wired below, once all exist; until then their events go nowhere.
    let engine: Engine | undefined;
    const changed = () => engine?.changed();
    // Who my friends are is what carriers serve my wall by: a change is published, once settled.
    const friendsChanged = () => {
      engine?.changed();
      engine?.schedulePublish();
    };

    const want = (handle: string): Want => {
      switch (book.state(handle)) {
        case undefined:
          return restore.on ? "if-asked" : "never";
        case "accepted":
          return "when-online";
        case "requested-out":
          return "poll";
        case "requested-in":
          return "if-asked";
          default:
          return "never";
      }
    };
    const connections: Connections = new Connections({
      me,
      device,
      isMyDevice: (id) => devices.allows(id),
      isRemovedDevice: (handle, id) => log.removedDevices(handle).has(id),
      identity,
      transport,
      now,
      diagnostics,
      want,
      isBlocked: (handle) => book.isBlocked(handle),
      on: {
        broker: (online) => online && friendship.onBrokerOnline(),
        proven: (session): Promise<void> => friendship.onProven(session),
        link: (session, frame) => linking.onFrame(session, frame),
        frame: (session, frame): Promise<void> =>
          route(session, frame, {
            friendship,
            wallSync,
            delivery,
            selfSync,
            photos,
            diagnostics,
            takesMyWallFrom: (s, wall) => restore.on && s.proven && sameHandle(wall, me),
          }),
        binary: (session, message) => photos?.onChunk(session.peer, message),
        drain: (session) => photos?.onDrain(session.peer),
        gone: (session) => {
          if (!session.trusted) return;
          if (session.own) {
            if (!connections.ownSessions().length) photos?.gone(me);
            return void devices.seen(session.device).then(changed);
          }
          photos?.gone(session.peer);
          // Another device of theirs may still be here: what waits for them goes there.
          const other = connections.trusted(session.peer);
          if (other) delivery.flush(other);
          else delivery.ownerGone(session.peer);
        },
        changed,
      },
    });
    const views = await Views.open(me, repo, log, outbox, book, connections);
    const host: PhotoHost = {
      // "Me" as a peer is my other devices.
      link: (peer) => (sameHandle(peer, me) ? connections.ownSessions()[0] : connections.trusted(peer))?.link,
      source: (hash) => {
        const found = photoSource(hash, log.postsWithPhoto(hash), me, (h) => book.isFriend(h), (id) => log.via(id));
        const friends = book.accepted().map((f) => f.name ?? f.handle);
        return found && widenSources(found, me, connections.ownSessions().length > 0, friends);
      },
      mayServe: (origin, peer, kind) =>
        sameHandle(peer, me) ||
        (book.isFriend(peer) &&
          mayServePhoto(origin, peer, me, origin.mine ? undefined : { list: log.friendList(origin.wall), kind, fullImages: carried.fullPhotos })),
      mayAsk: (peer) => budgets.photoGet(peer),
      kept: (hash) => keptPhoto(hash, me, log),
      friendPhotoBytes: PER_FRIEND.photoBytes,
      diagnostics,
    };
    const photos = options.photos?.(host);
    // What reached me from others: announced, noticed, and its photos fetched.
    const arrived = (events: WallEvent[]) => {
      const theirs = events.filter((e) => !sameHandle(e.author, me));
      // A friend removed a device of theirs: it hears nothing more from me.
      for (const e of theirs) if (e.kind === "friends") for (const id of log.removedDevices(e.wall)) connections.closeDevice(e.wall, id, "refused");
      arrivals.note(theirs);
      photos?.need(photoNeeds(theirs, me));
      // A deleted photo post gives its space back.
      const gone = photosLetGo(events, log);
      if (gone.length) photos?.release(gone).catch(() => undefined); // a fault here is told by the store
      void notices.fromEvents(theirs, log).then((added) => added.length && changed());
    };
    const linking = new Linking({
      now,
      diagnostics,
      identity: async () => options.storedIdentity?.(),
      devices: () => devices.all(),
      linked: async (id, name) => {
        await devices.seen(id, name);
        await devices.rename(id, name);
      },
      changed,
    });
    const selfSync: SelfSync = new SelfSync({
      me,
      log,
      book,
      devices,
      connections,
      friendsMerged: () => {
        friendship.rewatch();
        for (const f of book.accepted()) if (!connections.isConnected(f.handle)) connections.dial(f.name ?? f.handle);
        friendsChanged();
      },
      devicesChanged: () => {
        for (const d of devices.all()) if (d.removed) connections.closeDevice(me, d.id, "refused");
        changed();
      },
    });
    book.onSaved = (record) => selfSync.friendSaved(record);
    // My wall came back from a friend after a restore: so does my friend list, on it.
    const restored = async () => {
      const list = log.friendList(me);
      if (!restore.on || !list) return;
      restore.on = false;
      await repo.saveMeta("restoring", false);
      await friendship.restoreFrom(list);
    };
    const friendship: Friendship = new Friendship({
      me,
      myKey: identity.publicKey,
      restoring: () => restore.on,
      book,
      connections,
      lookup,
      now,
      diagnostics,
      words,
      on: {
        trusted: (session) => {
          wallSync.start(session);
          delivery.flush(session);
          photos?.trusted(session.peer);
          friendsChanged();
        },
        ownDevice: (session) => {
          void selfSync.start(session).then(changed);
          photos?.trusted(me);
        },
        resync: (session) => wallSync.start(session),
        requested: (who) => void notices.friendRequest(who).then(changed),
        accepted: (who) => void notices.friendAccepted(who).then(changed),
        rekeyed: async (who) => {
          await log.unorder(who);
          await views.forgetRead(who);
        },
        changed: friendsChanged,
      },
    });
    const wallSync: WallSync = new WallSync({
      me,
      myKey: identity.publicKey,
      log,
      book,
      outbox,
      budgets,
      connections,
      diagnostics,
      carry,
      stored: (events) => {
        arrived(events);
        // My own posts from elsewhere (my other device, or a friend after a restore): their photos too.
        photos?.need(photoNeeds(events.filter((e) => sameHandle(e.author, me)), me));
        void delivery.landed(events);
        void restored();
        changed();
      },
      confirmed: changed,
    });
    const delivery: Delivery = new Delivery({
      me,
      device: options.device ?? "",
      identity,
      log,
      outbox,
      book,
      budgets,
      carried,
      carry,
      now,
      diagnostics,
      words,
      trusted: (handle) => connections.trusted(handle),
      trustedSessions: () => connections.trustedSessions(),
      appended: (event) => {
        changed();
        wallSync.broadcast(event);
        arrived([event]);
      },
      changed,
    });
    engine = new Engine(
      options,
      diagnostics,
      log,
      outbox,
      book,
      notices,
      arrivals,
      connections,
      views,
      friendship,
      wallSync,
      delivery,
      carried,
      devices,
      linking,
      selfSync,
      restore,
      photos,
    );
    return engine;
  }

  start(): void {
    this.connections.start();
    this.photos?.need(photoNeeds(this.log.all(), this.me));
    // Walls written before places were signed get their signatures, then my friend list.
    void this.delivery.signMyOrder().then(() => this.schedulePublish());
  }

  /** Closes every link and stops every timer: the engine is done (a log-out, a take-over). */
  stop(): void {
    this.stopped = true;
    this.linking.stop();
    this.connections.stop();
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
      const friends = this.book.accepted().map((f) => f.name ?? f.handle);
      const removed = this.devices_.all().filter((d) => d.removed).map((d) => d.id);
      void this.delivery.publishFriends(friends, removed).catch((error: unknown) => this.diagnostics.note(`friend list not published: ${String(error)}`));
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
    return this.connections.brokerOnline;
  }

  /** The last frames dropped from peers, and why. */
  get dropped(): readonly Dropped[] {
    return this.diagnostics.dropped;
  }

  friend(handle: string): FriendRecord | undefined {
    return this.book.get(handle);
  }

  isFriend(handle: string): boolean {
    return this.book.isFriend(handle);
  }

  friends(): FriendView[] {
    return this.views.friends();
  }

  wall(handle: string): PostView[] {
    return this.views.wall(handle);
  }

  /** Everything on my wall and my friends' walls, newest first: the news feed. */
  feed(): { wall: string; post: PostView }[] {
    return this.views.feed();
  }

  /** The highest sequence number I hold of a wall: where a catch-up starts. */
  cursor(wall: string): number {
    return this.log.cursor(wall);
  }

  unread(wall: string): number {
    return this.views.unread(wall);
  }

  async markRead(wall: string): Promise<void> {
    if (await this.views.markRead(wall)) this.changed();
  }

  pendingCount(): number {
    return this.outbox.size;
  }

  isPending(id: string): boolean {
    return this.outbox.has(id);
  }

  /** Who can send me this photo: friends who own a wall it is on, or wrote a post carrying it. */
  photoSources(hash: string): string[] {
    return photoSource(hash, this.log.postsWithPhoto(hash), this.me, (h) => this.book.isFriend(h))?.sources ?? [];
  }

  /** Posts by others that arrived after the ``after``-th arrival (at most the last 50). */
  arrivedSince(after: number): { count: number; posts: { author: string; wall: string }[] } {
    return this.arrivals.since(after);
  }

  /** Notifications, newest first. */
  notices(): readonly Notice[] {
    return this.notices_.all();
  }

  unseenNotices(): number {
    return this.notices_.unseen();
  }

  async markNoticesSeen(): Promise<void> {
    if (await this.notices_.markSeen()) this.changed();
  }

  /** Who carried this event to me, while its wall's owner has not confirmed it. */
  via(id: string): string | undefined {
    return this.log.via(id);
  }

  /** The writes I carry for friends, by friend, and the budget they share. */
  carrying(): CarriedUse {
    return this.carried.use();
  }

  async setCarryBudget(bytes: number): Promise<void> {
    await this.carried.setBudget(bytes);
    this.changed();
  }

  /** Serve friends the full-size photos of walls I carry (thumbnails only, otherwise). */
  async setCarryFullPhotos(on: boolean): Promise<void> {
    await this.carried.setFullPhotos(on);
    this.changed();
  }

  // --- my devices -------------------------------------------------------------------

  /** This browser's device id (its peer id is ``me-device``). */
  get device(): string {
    return this.devices_.current;
  }

  /** Restored from my phrase, my friend list not back yet. */
  get restoring(): boolean {
    return this.restore.on;
  }

  devices(): DeviceView[] {
    const online = new Set(this.connections.ownSessions().map((s) => s.device));
    return this.devices_.list((id) => online.has(id));
  }

  async renameDevice(id: string, name: string): Promise<void> {
    await this.devices_.rename(id, name);
    this.selfSync.devicesSaved();
    this.changed();
  }

  /** My devices stop syncing with it (it keeps my key: Settings says so). */
  async removeDevice(id: string): Promise<void> {
    await this.devices_.remove(id);
    this.connections.closeDevice(this.me, id, "refused");
    this.schedulePublish(); // friends learn it from my signed friend list
    this.selfSync.devicesSaved();
    this.changed();
  }

  /** Shows a one-time code a new browser of mine links with. */
  offerLink(): LinkOffer {
    return this.linking.start();
  }

  linkOffer(): LinkOffer | undefined {
    return this.linking.current();
  }

  cancelLink(): void {
    this.linking.cancel();
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
    return this.friendship.addFriend(typed);
  }

  accept(handle: string): Promise<void> {
    return this.friendship.accept(handle);
  }

  decline(handle: string): Promise<void> {
    return this.friendship.decline(handle);
  }

  unfriend(handle: string): Promise<void> {
    return this.friendship.unfriend(handle);
  }

  block(handle: string): Promise<void> {
    return this.friendship.block(handle);
  }

  unblock(handle: string): Promise<void> {
    return this.friendship.unblock(handle);
  }

  confirmKey(handle: string): Promise<void> {
    return this.friendship.confirmKey(handle);
  }

  /** ``blobs``: the photos' bytes, stored with the post in one transaction (all of it, or none). */
  post(wall: string, text: string, photos?: PhotoRef[], blobs?: BlobRecord[]): Promise<SignedEvent> {
    return this.delivery.write(wall, "post", photos?.length ? { text, photos } : { text }, blobs);
  }

  comment(wall: string, post: string, text: string): Promise<SignedEvent> {
    return this.delivery.write(wall, "comment", { post, text });
  }

  like(wall: string, target: string, on: boolean): Promise<SignedEvent> {
    return this.delivery.write(wall, "like", { target, on });
  }

  remove(wall: string, target: string): Promise<SignedEvent> {
    return this.delivery.write(wall, "delete", { target });
  }
}
