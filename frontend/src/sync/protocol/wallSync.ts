// Walls between friends: I serve my wall to a friend who asks ("everything since seq x", in
// batches), catch up a friend's wall from its owner, check every event's signature before it is
// stored, and stream new events of my wall to every trusted friend as they happen.
//
// Store and forward: I also serve a friend the walls I hold whose owners' signed friend lists
// name them (I tell them which, with ``have``), and take a friend's wall from another friend who
// carries it, if every event's place is signed by the wall's owner (``osig``) and every author's
// key is pinned by me or named in the owner's list. Carried events say "via" their carrier until
// the owner serves them to me too.
import type { Diagnostics } from "../diagnostics";
import { type Identity, sign } from "../../crypto/identity";
import { batchContent, type Cursor, streamOf, verifyEvent, verifyOrder, type WallEvent } from "../events";
import { type Batch, batchEvents, MAX_HAVE } from "../frames";
import { canon, sameHandle } from "../handles";
import { pageTurn } from "../pageTurn";
import type { Connections } from "../peers/connections";
import { CREDIT_EVERY } from "../peers/outflow";
import type { CatchUpBatch, Session } from "../peers/session";
import { mayAcceptWall, mayServeWall, mayShowVouchedAuthor } from "../policy";
import type { Budgets } from "../state/budgets";
import type { EventLog } from "../state/eventLog";
import type { FriendBook } from "../state/friendBook";
import type { Outbox } from "../state/outbox";

/** A catch-up stores its events in transactions of about this many (bench/README.md: sized by measurement). */
export const CATCH_UP_WRITE = 2_000;
/** …but its first transaction sooner, so that the first posts show while the rest comes. */
export const FIRST_WRITE = 200;
/** Batches of my wall signed ahead of the one going out. */
const SIGN_AHEAD = 4;
/** The sender lets the page run between every few batches (each takes a millisecond or two). */
const YIELD_EVERY = 4;

export interface WallSyncOptions {
  me: string;
  identity: Identity;
  log: EventLog;
  book: FriendBook;
  outbox: Outbox;
  budgets: Budgets;
  connections: Connections;
  diagnostics: Diagnostics;
  /** Store and forward: serve and take walls carried by friends (off: owners serve their walls only). */
  carry: boolean;
  /**
   * Events of a wall were stored (``delivered``: my outbox items among them); ``via``: carried;
   * ``from``: whose link they came on.
   */
  stored(events: WallEvent[], delivered: string[], via: string | undefined, from: Session): void;
  /** The owner served events I held from a carrier: their "via" marks went. */
  confirmed(): void;
}

export class WallSync {
  constructor(private readonly options: WallSyncOptions) {}

  /** A friend's session became trusted: ask for their wall, and say which walls I carry for them. */
  start(session: Session): void {
    const { me, log } = this.options;
    const peer = session.peer;
    // From the first place I hold only by a carrier's word: the owner confirms it.
    session.send({ t: "sync", wall: peer, since: log.confirmFrom(peer) });
    if (!this.options.carry) return;
    const walls: Record<string, number> = {};
    let count = 0;
    for (const [wall, cursor] of log.walls()) {
      if (count >= MAX_HAVE) break;
      if (cursor === 0 || sameHandle(wall, me) || sameHandle(wall, peer)) continue;
      if (!mayServeWall(wall, peer, me, log.friendList(wall))) continue;
      walls[wall] = cursor;
      count++;
    }
    if (count) session.send({ t: "have", walls });
  }

  /**
   * A wall I carry ran further (its owner or a carrier brought more): friends here who may have it
   * hear so at once (``have``), and ask for what they lack, so a wall spreads while people are
   * online together, not only when they next connect.
   */
  advertise(wall: string, source?: string): void {
    const { me, log, connections } = this.options;
    if (sameHandle(wall, me)) return;
    const cursor = log.cursor(wall);
    if (!cursor) return;
    // My other devices keep every wall I keep.
    for (const session of connections.ownSessions()) session.send({ t: "have", walls: { [canon(wall)]: cursor } });
    if (!this.options.carry) return;
    for (const session of connections.trustedSessions()) {
      if (sameHandle(session.peer, wall) || (source && sameHandle(session.peer, source))) continue;
      if (mayServeWall(wall, session.peer, me, log.friendList(wall))) session.send({ t: "have", walls: { [canon(wall)]: cursor } });
    }
  }

  /** Sends a new event of my wall to every trusted friend and to my other devices. */
  broadcast(event: WallEvent): void {
    const { connections } = this.options;
    const keys = this.keysFor([event]);
    for (const session of [...connections.trustedSessions(), ...connections.ownSessions()]) session.send({ t: "event", event, keys });
  }

  /** A friend carries walls of my friends: I ask for those that run further than mine. */
  onHave(session: Session, walls: Record<string, number>): void {
    const { me, log, book, connections } = this.options;
    if (!this.options.carry && !session.own) return;
    for (const [wall, theirs] of Object.entries(walls)) {
      // Only walls whose owner's key I pinned (I check every place against it), and not when
      // the owner is here to serve them.
      if (sameHandle(wall, me) || !book.isFriend(wall) || connections.isConnected(wall)) continue;
      if (theirs > log.cursor(wall)) session.send({ t: "sync", wall, since: log.cursorOf(wall) });
    }
  }

  /** A friend asks for a wall since a sequence number: mine, or one I carry for them. */
  onSync(session: Session, wall: string, since: Cursor): void {
    const { me, log, budgets, diagnostics } = this.options;
    const peer = session.peer;
    if (!session.own && !mayServeWall(wall, peer, me, this.options.carry ? log.friendList(wall) : undefined))
      return diagnostics.drop(peer, "not-owner", `asked for @${wall}'s wall, which only its owner serves to whom it chooses`);
    const { verdict, from } = budgets.sync(peer, session.nonce, wall, since, log.cursorOf(wall), session.own);
    if (verdict === "repeated") return diagnostics.drop(peer, "repeated-sync", `asked again for @${wall}'s wall since ${JSON.stringify(since)}`);
    if (verdict === "over-quota") return diagnostics.drop(peer, "over-quota", "too many sync requests");
    // Served beside what the link brings meanwhile (the friend's own catch-up for me among it).
    void session.outflow.queue.run(() => this.serve(session, wall, from));
  }

  /**
   * Sends a wall's events beyond ``from`` in batches, each only once the friend has room for it
   * (``credit``): the page stays free between batches, and the friend is never buried.
   */
  private async serve(session: Session, wall: string, from: Cursor): Promise<void> {
    const { me, log, budgets, diagnostics, identity } = this.options;
    const peer = session.peer;
    const mine = sameHandle(wall, me);
    // What I carry is served only with its owner's signature on each place: the receiver checks it.
    const events = log.since(wall, from).filter((e) => mine || e.osig);
    const batches = batchEvents(mine ? me : wall, events, (a) => this.keyOf(a), log.cursor(wall))[Symbol.iterator]();
    // My own wall's batches are signed as wholes (the friend checks one signature, not one per
    // event), a few ahead of the one going out, so that the link never waits on a signature.
    const ahead: { batch: Batch; signed: Promise<unknown> }[] = [];
    const fill = () => {
      while (ahead.length < SIGN_AHEAD) {
        const next = batches.next();
        if (next.done) return;
        const batch = next.value;
        const signed = mine ? sign(identity, batchContent(me, batch.frame.events)).then((sig) => (batch.frame.bsig = sig)) : Promise.resolve();
        ahead.push({ batch, signed });
      }
    };
    for (let sent = 1; ; sent++) {
      fill();
      const next = ahead.shift();
      if (!next) return;
      const { batch, signed } = next;
      await Promise.all([signed, session.outflow.room()]);
      // Room and signatures can be there at once for batch after batch: the page gets its turn.
      if (sent % YIELD_EVERY === 0) await pageTurn();
      if (session.closed) return;
      // Carrying costs me bandwidth; giving my own devices, or a friend their own wall back, does not count.
      if (!mine && !session.own && !sameHandle(wall, peer) && !budgets.carriedWall(peer, batch.size))
        return diagnostics.drop(peer, "over-quota", "carried walls: this hour's bytes are spent");
      if (!session.send(batch.frame)) return;
      session.outflow.sent();
    }
  }

  /** The friend handled more of my catch-up's batches: more may go. */
  onCredit(session: Session, n: number): void {
    session.outflow.credit(n);
  }

  /** Events of a wall: from its owner, or carried by a friend of both. */
  async onEvents(
    session: Session,
    wall: string,
    events: WallEvent[],
    keys: Record<string, string>,
    upto: number | null,
    done: boolean,
    batchKey?: string,
  ): Promise<void> {
    const { diagnostics } = this.options;
    const peer = session.peer;
    const fromOwner = mayAcceptWall(wall, peer);
    const ownerKey = this.keyOf(wall);
    // A wall is taken from its owner, or carried with places its owner signed: to check them I
    // need the owner's key (mine for my own wall, back from a friend), so a stranger's wall
    // comes from its owner only.
    if (!ownerKey) return diagnostics.drop(peer, "not-owner", `sent events of @${wall}'s wall, which only its owner serves`);
    const key = canon(wall);
    // A live event's gap is judged by what is stored: a catch-up's write still going comes first.
    if (upto === null) await session.catchUp.get(key)?.writing;
    const before = this.options.log.cursorOf(wall);
    // The owner's signature over the whole batch counts only if made with the key I pinned.
    const verdicts = fromOwner
      ? await this.checkFromOwner(wall, events, keys, ownerKey, batchKey === ownerKey)
      : await this.checkCarried(wall, events, ownerKey);
    const batch = session.catchUp.get(key) ?? { writes: 0, events: [], delivered: [], confirmed: [], places: [] };
    session.catchUp.set(key, batch);
    this.keep(peer, wall, events, verdicts, batch, fromOwner);
    // Handled (held in memory, checked): the sender may send more while I write.
    if (upto !== null) this.credit(session, done);
    if (!done && batch.events.length < (batch.writes ? CATCH_UP_WRITE : FIRST_WRITE)) return;
    // One write at a time, in order, while the next batch fills: the link is not held up by the
    // disk, and no more than two batches are ever held in memory.
    const next: CatchUpBatch | undefined = done ? undefined : { writes: batch.writes + 1, events: [], delivered: [], confirmed: [], places: [] };
    if (next) session.catchUp.set(key, next);
    else session.catchUp.delete(key);
    await batch.writing;
    const written = this.write(batch, session, wall, fromOwner);
    if (next) {
      next.writing = written.catch((error: unknown) =>
        diagnostics.drop(peer, "handler-error", `storing @${wall}'s events: ${error instanceof Error ? error.message : String(error)}`),
      );
      return;
    }
    await written;
    // A live event beyond what I hold means I missed some: catch up from my cursor.
    const first = events[0];
    if (fromOwner && upto === null && first?.seq !== undefined && first.seq > (before[streamOf(first)] ?? 0) + 1) {
      session.send({ t: "sync", wall, since: this.options.log.cursorOf(wall) });
    }
  }

  /** Stores a batch; friends who may have the wall hear it ran further. */
  private async write(batch: CatchUpBatch, session: Session, wall: string, fromOwner: boolean): Promise<void> {
    const { log, me } = this.options;
    const before = log.cursor(wall);
    // "Via" marks what its owner has not confirmed: not my own wall, nor what my own device kept.
    await this.store(batch, session, fromOwner || session.own || sameHandle(wall, me) ? undefined : session.peer);
    if (log.cursor(wall) > before) this.advertise(wall, session.peer);
  }

  /** Tells the sender of a catch-up how many more of its batches I handled, now and then. */
  private credit(session: Session, done: boolean): void {
    session.owed++;
    if (session.owed < CREDIT_EVERY && !done) return;
    session.send({ t: "credit", n: session.owed });
    session.owed = 0;
  }

  /**
   * The owner's own batch. Signed as a whole by the owner (``batchSigned``), the owner's events
   * are theirs word for word, places included; else each is checked. Other authors are checked
   * against the keys I pinned for them, or vouched for by the owner.
   */
  private checkFromOwner(
    wall: string,
    events: WallEvent[],
    keys: Record<string, string>,
    ownerKey: string,
    batchSigned: boolean,
  ): Promise<boolean[]> {
    const { me, book } = this.options;
    const known = (author: string) => sameHandle(author, me) || book.isFriend(author);
    const pinned = (author: string) => (known(author) ? this.keyOf(author) : undefined);
    // Friends' keys are pinned; for the owner's other friends, the owner vouches.
    const keyFor = (author: string) => (known(author) ? this.keyOf(author) : keys[author]);
    // All of a batch's signatures are checked at once: WebCrypto answers each asynchronously.
    return Promise.all(
      events.map(async (event) => {
        if (!sameHandle(event.wall, wall)) return false;
        if (batchSigned) {
          if (sameHandle(event.author, wall)) return true;
          const key = pinned(event.author);
          return key === undefined || verifyEvent(event, key);
        }
        const key = keyFor(event.author);
        if (!key || !(await verifyEvent(event, key))) return false;
        // Its place, when signed, must be signed by the owner.
        return event.osig === undefined || verifyOrder(event, ownerKey);
      }),
    );
  }

  /**
   * A carrier's batch: every event's place, and the event word for word, signed by the owner
   * (who checked its author's signature before placing it). Authors I know are checked again
   * against the keys I pinned for them.
   */
  private checkCarried(wall: string, events: WallEvent[], ownerKey: string): Promise<boolean[]> {
    const { me, book } = this.options;
    return Promise.all(
      events.map(async (event) => {
        if (!sameHandle(event.wall, wall) || !(await verifyOrder(event, ownerKey))) return false;
        const known = sameHandle(event.author, me) || book.isFriend(event.author) ? this.keyOf(event.author) : undefined;
        return known === undefined || verifyEvent(event, known);
      }),
    );
  }

  private keep(
    peer: string,
    wall: string,
    events: WallEvent[],
    verdicts: boolean[],
    batch: CatchUpBatch,
    fromOwner: boolean,
  ): void {
    const { log, book, outbox, diagnostics } = this.options;
    events.forEach((event, i) => {
      if (!sameHandle(event.wall, wall)) return diagnostics.drop(peer, "wrong-wall", `event ${event.id} belongs to @${event.wall}'s wall`);
      if (!mayShowVouchedAuthor(event.author, (h) => book.isBlocked(h)))
        return diagnostics.drop(peer, "blocked-author", `event ${event.id} is by @${event.author}, whom I blocked`);
      if (!verdicts[i]) {
        const what = fromOwner ? "signature does not verify" : "signature or place does not verify";
        return diagnostics.drop(peer, "bad-signature", `event ${event.id} by @${event.author}: ${what}`);
      }
      if (log.ordered(event.id)) {
        if (fromOwner && log.via(event.id)) batch.confirmed.push(event.id);
        batch.places.push(event); // the same event, perhaps at another of the owner's places
        return;
      }
      batch.events.push(event);
      if (outbox.has(event.id)) batch.delivered.push(event.id);
    });
  }

  private async store(batch: CatchUpBatch, from: Session, via?: string): Promise<void> {
    const { log, outbox } = this.options;
    if (batch.events.length) {
      await log.store(batch.events, { outboxRemove: batch.delivered }, via);
      outbox.removed(batch.delivered);
      this.options.stored(batch.events, batch.delivered, via, from);
    }
    if (batch.confirmed.length && (await log.confirm(batch.confirmed))) this.options.confirmed();
    if (batch.places.length) await log.notePlaces(batch.places);
  }

  keysFor(events: WallEvent[]): Record<string, string> {
    const keys: Record<string, string> = {};
    for (const e of events) {
      const key = this.keyOf(e.author);
      if (key) keys[e.author] = key;
    }
    return keys;
  }

  private keyOf(handle: string): string | undefined {
    return sameHandle(handle, this.options.me) ? this.options.identity.publicKey : this.options.book.keyOf(handle);
  }
}
