// Builds the sync core's parts and wires their events to each other: what the engine (the
// facade the views hold, engine.ts) is made of. Every rule and every protocol step lives in a part.
import type { EngineOptions } from "./engine";
import { inlineDecoder } from "./decode/decoder";
import { Diagnostics } from "./diagnostics";
import type { WallEvent } from "./events";
import { sameHandle } from "./handles";
import { Connections, type Want } from "./peers/connections";
import type { Session } from "./peers/session";
import type { PhotoHost, PhotoPort } from "./photoPort";
import { CARRY_BUDGET_BYTES, keptPhoto, mayServePhoto, PER_FRIEND, photoNeeds, photosLetGo, photoSource, widenSources } from "./policy";
import { Delivery } from "./protocol/delivery";
import { Friendship } from "./protocol/friendship";
import { Linking } from "./protocol/linking";
import { route } from "./protocol/router";
import { SelfSync } from "./protocol/selfSync";
import { WallSync } from "./protocol/wallSync";
import { Arrivals } from "./state/arrivals";
import { Budgets } from "./state/budgets";
import { Carried } from "./state/carried";
import { Devices } from "./state/devices";
import { EventLog } from "./state/eventLog";
import { FriendBook } from "./state/friendBook";
import { Notices } from "./state/notices";
import { Outbox } from "./state/outbox";
import { Views } from "./state/views";

/** The parts, built and wired. */
export interface Parts {
  diagnostics: Diagnostics;
  log: EventLog;
  outbox: Outbox;
  book: FriendBook;
  notices: Notices;
  arrivals: Arrivals;
  connections: Connections;
  views: Views;
  friendship: Friendship;
  wallSync: WallSync;
  delivery: Delivery;
  carried: Carried;
  devices: Devices;
  linking: Linking;
  selfSync: SelfSync;
  /** Restored from my phrase, my friend list not back yet. */
  restore: { on: boolean };
  photos?: PhotoPort;
}

/** What the parts tell the engine. */
export interface Hooks {
  /** Something the views show changed. */
  changed(): void;
  /** My friends (or my devices) changed: publish my signed friend list once it settles. */
  publish(): void;
}

export async function assemble(options: EngineOptions, hooks: Hooks): Promise<Parts> {
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
  const changed = () => hooks.changed();
  // Who my friends are is what carriers serve my wall by: a change is published, once settled.
  const friendsChanged = () => {
    hooks.changed();
    hooks.publish();
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
    decoder: options.decoder ?? inlineDecoder,
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
    friendsMerged: (handles) => {
      // Forgotten on another device of mine: no link to them is kept here either.
      for (const handle of handles) if (!book.get(handle)) connections.close(handle, "refused");
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
  book.onForgotten = (forgotten) => selfSync.friendsForgotten(forgotten);
  // My wall came back from a friend after a restore: so does my friend list, on it.
  // Whoever served me my own wall (each place checked against my key) had it as my friend.
  const servers = new Set<string>();
  const restored = async (events: WallEvent[], from: Session) => {
    if (!restore.on) return;
    if (!from.own && events.some((e) => sameHandle(e.wall, me))) servers.add(from.peer);
    const list = log.friendList(me);
    // Done once my own signed list is back; until then, those who served my wall are my friends.
    if (list) {
      restore.on = false;
      await repo.saveMeta("restoring", false);
    }
    await friendship.restoreFrom([...(list ?? []), ...servers]);
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
    identity,
    log,
    book,
    outbox,
    budgets,
    connections,
    diagnostics,
    carry,
    stored: (events, _delivered, _via, from) => {
      arrived(events);
      // My own posts from elsewhere (my other device, or a friend after a restore): their photos too.
      photos?.need(photoNeeds(events.filter((e) => sameHandle(e.author, me)), me));
      void delivery.landed(events);
      void restored(events, from);
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
  return { diagnostics, log, outbox, book, notices, arrivals, connections, views, friendship, wallSync, delivery, carried, devices, linking, selfSync, restore, photos };
}
