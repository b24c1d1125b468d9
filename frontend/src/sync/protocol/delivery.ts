// My writes, and friends' writes for my wall. What I write on my wall gets its place (seq) at
// once; what I write on a friend's wall waits in my outbox until its owner takes it (ack) or
// refuses it (nack). A friend's post, comment or like for my wall is checked, counted against
// their budget, given its place, and acknowledged.
import type { Identity } from "../../crypto/identity";
import type { BlobRecord, OutboxRecord } from "../../store/db";
import type { Diagnostics } from "../diagnostics";
import {
  type Body,
  createEvent,
  LIMITS,
  type Kind,
  ordered,
  type SignedEvent,
  stripSeq,
  verifyEvent,
  verifyOrder,
  type WallEvent,
} from "../events";
import type { Frame } from "../frames";
import { sameHandle } from "../handles";
import { isNackCode, isTemporary, Refused, type Words } from "../outcomes";
import type { Session } from "../peers/session";
import { mayCarryTo, mayCarryWrite, writeRefusal } from "../policy";
import { Serial } from "../serial";
import type { Budgets } from "../state/budgets";
import type { Carried } from "../state/carried";
import type { EventLog } from "../state/eventLog";
import type { FriendBook } from "../state/friendBook";
import type { Outbox } from "../state/outbox";

export interface DeliveryOptions {
  me: string;
  /** This device's stream on my wall ("" for a browser from before devices). */
  device: string;
  identity: Identity;
  log: EventLog;
  outbox: Outbox;
  book: FriendBook;
  budgets: Budgets;
  carried: Carried;
  /** Store and forward: hand writes to friends who meet the owner, and carry theirs. */
  carry: boolean;
  now: () => number;
  diagnostics: Diagnostics;
  words: Words;
  /** The trusted session to a friend, if any: a write for their wall goes out at once. */
  trusted(handle: string): Session | undefined;
  /** Every trusted session: friends who may carry a write while its wall's owner is away. */
  trustedSessions(): Session[];
  /** An event took its place on my wall (mine, or a friend's delivered one). */
  appended(event: WallEvent): void;
  /** My outbox or my view of a friend's wall changed. */
  changed(): void;
}

/** The owner's answer to a delivery: the event's place, signed. */
function ackOf(placed: WallEvent): Frame {
  return { t: "ack", id: placed.id, seq: placed.seq!, osig: placed.osig, ...(placed.dev ? { dev: placed.dev } : {}) };
}

export class Delivery {
  /** One write to my wall at a time, so sequence numbers never collide. */
  private readonly writes = new Serial();
  /**
   * Which link each waiting write of mine went out on: while that link lives, the write is not
   * offered to another device of the same owner, or two of their devices would each place it.
   */
  private readonly offered = new Map<string, Session>();

  constructor(private readonly options: DeliveryOptions) {}

  /**
   * Writes an event by me on ``wall``: mine at once, a friend's through my outbox. ``blobs``
   * (the photos it names) are stored in the same transaction: a post never lands without them.
   */
  async write(wall: string, kind: Kind, body: Body, blobs?: BlobRecord[]): Promise<SignedEvent> {
    const { me, identity, log, outbox, book, now, words } = this.options;
    const mine = sameHandle(wall, me);
    if (!mine && !book.isFriend(wall)) throw new Refused({ code: "not-your-friend", handle: wall }, words);
    const refusal = writeRefusal(log, wall, me, kind, body);
    if (refusal) throw new Refused(refusal, words);
    const event = await createEvent(identity, me, mine ? me : book.name(wall), kind, body, now());
    if (mine) {
      await this.appendToMyWall(event, blobs);
      return event;
    }
    const item: OutboxRecord = { id: event.id, to: event.wall, createdAt: now() };
    await log.store([event], { outboxAdd: [item], blobs });
    outbox.added([item]);
    this.options.changed();
    const owner = this.options.trusted(wall);
    if (owner) this.offer(owner, event);
    // The owner is away: friends here whom the owner's list names carry it meanwhile.
    else if (this.options.carry)
      for (const session of this.options.trustedSessions())
        if (mayCarryTo(event.wall, session.peer, log.friendList(event.wall))) session.send({ t: "carry", event });
    return event;
  }

  /**
   * A friend's session became trusted: offer them what waits for their wall (mine, and what I
   * carry for others), and hand them my writes for walls whose owners they will meet.
   */
  flush(session: Session): void {
    const { outbox, log, carried } = this.options;
    for (const item of outbox.for(session.peer)) {
      const event = log.event(item.id);
      if (event) this.offer(session, stripSeq(event));
    }
    for (const event of carried.for(session.peer)) session.send({ t: "deliver", event });
    if (!this.options.carry) return;
    // What I carry for owners I have not met goes on with a friend who may meet them first.
    for (const event of carried.all())
      if (!sameHandle(event.author, session.peer) && mayCarryTo(event.wall, session.peer, log.friendList(event.wall)))
        session.send({ t: "carry", event });
    for (const item of outbox.pending()) {
      const event = log.event(item.id);
      if (event && mayCarryTo(item.to, session.peer, log.friendList(item.to))) session.send({ t: "carry", event: stripSeq(event) });
    }
  }

  /** Delivers a waiting write of mine on this link, unless another of the owner's devices has it now. */
  private offer(session: Session, event: SignedEvent): void {
    const earlier = this.offered.get(event.id);
    if (earlier && earlier !== session && !earlier.closed) return;
    this.offered.set(event.id, session);
    session.send({ t: "deliver", event });
  }

  /** A wall's owner went away: what still waits for them goes to the friends here who may carry it. */
  ownerGone(owner: string): void {
    const { outbox, log } = this.options;
    const items = outbox.for(owner);
    if (!items.length || !this.options.carry) return;
    for (const session of this.options.trustedSessions()) {
      if (sameHandle(session.peer, owner) || !mayCarryTo(owner, session.peer, log.friendList(owner))) continue;
      for (const item of items) {
        const event = log.event(item.id);
        if (event) session.send({ t: "carry", event: stripSeq(event) });
      }
    }
  }

  /** A friend hands me their write for a wall whose owner I will meet: I carry it. */
  async onCarry(session: Session, event: SignedEvent): Promise<void> {
    const { me, log, book, carried, diagnostics, now } = this.options;
    const peer = session.peer;
    if (sameHandle(event.wall, me)) return this.onDeliver(session, event); // it is for me: that is a delivery
    if (!this.options.carry) return;
    const list = log.friendList(event.wall);
    if (!mayCarryWrite(event, peer, me, list, book.isFriend(event.author)) || !book.isFriend(event.wall))
      return diagnostics.drop(peer, "not-owner", `asked me to carry ${event.id} to @${event.wall}, which I may not`);
    if (log.ordered(event.id) || carried.has(event.id)) return; // on the owner's wall as I hold it, or mine to carry already
    const key = book.keyOf(event.author);
    if (!key || !(await verifyEvent(event, key))) return diagnostics.drop(peer, "bad-signature", `carried ${event.id}: signature does not verify`);
    // Counted against its author, whoever handed it on: a flood costs its writer's share only.
    if (!(await carried.add(event, now()))) return;
    this.options.changed(); // Settings shows what I carry
    const owner = this.options.trusted(event.wall);
    if (owner) {
      owner.send({ t: "deliver", event });
      return;
    }
    // The owner is away: friends here who will meet them may carry it on (once each: they keep it).
    for (const session of this.options.trustedSessions())
      if (!sameHandle(session.peer, peer) && !sameHandle(session.peer, event.author) && mayCarryTo(event.wall, session.peer, list))
        session.send({ t: "carry", event });
  }

  /** Writes I carry that reached their wall (I hold them in their places): mine no longer. */
  async landed(events: WallEvent[]): Promise<void> {
    const mine = events.filter((e) => this.options.carried.has(e.id)).map((e) => e.id);
    if (!mine.length) return;
    await this.options.carried.done(mine);
    this.options.changed();
  }

  /**
   * Writes my friend list on my wall, when it differs from the last one: carriers serve my wall
   * to those it names, and hand my friends' writes for my wall to those it names.
   */
  async publishFriends(friends: string[], removed: string[] = []): Promise<void> {
    const { me, identity, log, now } = this.options;
    const sorted = [...friends].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())).slice(0, LIMITS.friends);
    const gone = [...new Set(removed)].sort().slice(-LIMITS.devices);
    const current = log.friendList(me);
    const was = log.removedDevices(me);
    const same =
      current !== undefined &&
      current.size === sorted.length &&
      sorted.every((h) => current.has(h.toLowerCase())) &&
      was.size === gone.length &&
      gone.every((d) => was.has(d));
    if (same || (current === undefined && sorted.length === 0 && gone.length === 0)) return;
    const body = gone.length ? { friends: sorted, removed: gone } : { friends: sorted };
    await this.appendToMyWall(await createEvent(identity, me, me, "friends", body, now()));
  }

  /** Gives every event of my wall that has no signed place its signature (walls written before). */
  async signMyOrder(): Promise<void> {
    const { me, identity, log } = this.options;
    const unsigned = [...log.wallEvents(me)].filter((e) => e.seq !== undefined && !e.osig);
    for (let i = 0; i < unsigned.length; i += 500) {
      const batch = await Promise.all(unsigned.slice(i, i + 500).map((e) => ordered(identity, e, e.seq!, e.dev)));
      await log.store(batch);
    }
  }

  /**
   * A friend's post, comment, like or delete for my wall: their own, or another friend's that
   * they carried to me. Either way it is its author's, checked with the author's pinned key and
   * counted against the author's budget.
   */
  async onDeliver(session: Session, event: SignedEvent): Promise<void> {
    const { me, log, book, budgets, diagnostics } = this.options;
    const peer = session.peer;
    const author = event.author;
    if (!sameHandle(event.wall, me)) return diagnostics.drop(peer, "wrong-wall", `delivered an event for @${event.wall}'s wall to me`);
    const key = book.keyOf(author);
    const carried = !sameHandle(author, peer);
    if (!key || !(await verifyEvent(event, key))) {
      // Carried or not, only the author's own signature makes it theirs.
      const what = carried ? `delivered an event claiming @${author} wrote it` : `delivery ${event.id}`;
      return diagnostics.drop(peer, carried ? "impostor" : "bad-signature", `${what}: signature does not verify`);
    }
    const known = log.event(event.id);
    if (known) {
      if (known.seq !== undefined) session.send(ackOf(known));
      return;
    }
    const refusal = writeRefusal(log, me, author, event.kind, event.body);
    if (refusal) {
      session.send({ t: "nack", id: event.id, reason: refusal.code });
      return;
    }
    if (!budgets.delivery(author)) {
      // Not now: the item stays in their outbox (or the carrier's) and comes again later.
      diagnostics.drop(peer, "over-quota", `delivery ${event.id}: more than @${author} may add to my wall for now`);
      session.send({ t: "nack", id: event.id, reason: "over-quota" });
      return;
    }
    session.send(ackOf(await this.appendToMyWall(event)));
  }

  async onAck(session: Session, id: string, seq: number, osig?: string, dev?: string): Promise<void> {
    const { log, outbox, carried, book } = this.options;
    if (carried.has(id) && this.options.trusted(session.peer) === session) {
      // The owner took a write I carried: it is theirs now.
      await carried.done([id]);
      this.options.changed();
      return;
    }
    const item = outbox.get(id);
    const event = log.event(id);
    if (!item || !sameHandle(item.to, session.peer) || !event) return;
    const placed: WallEvent = dev ? { ...stripSeq(event), seq, dev } : { ...stripSeq(event), seq };
    // The owner's signature on its place lets me (and whoever I give it to) prove it later.
    const ownerKey = book.keyOf(session.peer);
    if (osig && ownerKey && (await verifyOrder({ ...placed, osig }, ownerKey))) placed.osig = osig;
    await log.store([placed], { outboxRemove: [id] });
    outbox.removed([id]);
    this.offered.delete(id);
    this.options.changed();
  }

  async onNack(session: Session, id: string, reason: string): Promise<void> {
    const { log, outbox, diagnostics } = this.options;
    const item = outbox.get(id);
    if (!item || !sameHandle(item.to, session.peer)) return;
    diagnostics.note(`@${session.peer} refused ${id}: ${reason}`);
    if (isNackCode(reason) && isTemporary(reason)) return; // offered again on the next connection
    // The owner will never take it (say, the post was deleted): it is gone.
    await log.unstore([id], [id]);
    outbox.removed([id]);
    this.offered.delete(id);
    this.options.changed();
  }

  private appendToMyWall(event: SignedEvent, blobs?: BlobRecord[]): Promise<WallEvent> {
    const { me, log } = this.options;
    return this.writes.run(async () => {
      const existing = log.event(event.id);
      if (existing?.seq !== undefined) return existing;
      const { device } = this.options;
      const stored = await ordered(this.options.identity, event, log.next(me, device), device);
      await log.store([stored], { blobs });
      this.options.appended(stored);
      return stored;
    });
  }
}
