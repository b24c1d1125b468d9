// My writes, and friends' writes for my wall. What I write on my wall gets its place (seq) at
// once; what I write on a friend's wall waits in my outbox until its owner takes it (ack) or
// refuses it (nack). A friend's post, comment or like for my wall is checked, counted against
// their budget, given its place, and acknowledged.
import type { Identity } from "../../crypto/identity";
import type { OutboxRecord } from "../../store/db";
import type { Diagnostics } from "../diagnostics";
import { type Body, createEvent, type Kind, type SignedEvent, stripSeq, verifyEvent, type WallEvent } from "../events";
import { sameHandle } from "../handles";
import { isNackCode, isTemporary, Refused, type Words } from "../outcomes";
import type { Session } from "../peers/session";
import { writeRefusal } from "../policy";
import { Serial } from "../serial";
import type { Budgets } from "../state/budgets";
import type { EventLog } from "../state/eventLog";
import type { FriendBook } from "../state/friendBook";
import type { Outbox } from "../state/outbox";

export interface DeliveryOptions {
  me: string;
  identity: Identity;
  log: EventLog;
  outbox: Outbox;
  book: FriendBook;
  budgets: Budgets;
  now: () => number;
  diagnostics: Diagnostics;
  words: Words;
  /** The trusted session to a friend, if any: a write for their wall goes out at once. */
  trusted(handle: string): Session | undefined;
  /** An event took its place on my wall (mine, or a friend's delivered one). */
  appended(event: WallEvent): void;
  /** My outbox or my view of a friend's wall changed. */
  changed(): void;
}

export class Delivery {
  /** One write to my wall at a time, so sequence numbers never collide. */
  private readonly writes = new Serial();

  constructor(private readonly options: DeliveryOptions) {}

  /** Writes an event by me on ``wall``: mine at once, a friend's through my outbox. */
  async write(wall: string, kind: Kind, body: Body): Promise<SignedEvent> {
    const { me, identity, log, outbox, book, now, words } = this.options;
    const mine = sameHandle(wall, me);
    if (!mine && !book.isFriend(wall)) throw new Refused({ code: "not-your-friend", handle: wall }, words);
    const refusal = writeRefusal(log, wall, me, kind, body);
    if (refusal) throw new Refused(refusal, words);
    const event = await createEvent(identity, me, mine ? me : book.name(wall), kind, body, now());
    if (mine) {
      await this.appendToMyWall(event);
      return event;
    }
    const item: OutboxRecord = { id: event.id, to: event.wall, createdAt: now() };
    await log.store([event], { outboxAdd: [item] });
    outbox.added([item]);
    this.options.changed();
    this.options.trusted(wall)?.send({ t: "deliver", event });
    return event;
  }

  /** A friend's session became trusted: offer them what waits for their wall. */
  flush(session: Session): void {
    for (const item of this.options.outbox.for(session.peer)) {
      const event = this.options.log.event(item.id);
      if (event) session.send({ t: "deliver", event: stripSeq(event) });
    }
  }

  /** A friend's post, comment, like or delete for my wall. */
  async onDeliver(session: Session, event: SignedEvent): Promise<void> {
    const { me, log, book, budgets, diagnostics } = this.options;
    const peer = session.peer;
    if (!sameHandle(event.wall, me)) return diagnostics.drop(peer, "wrong-wall", `delivered an event for @${event.wall}'s wall to me`);
    if (!sameHandle(event.author, peer)) return diagnostics.drop(peer, "impostor", `delivered an event claiming @${event.author} wrote it`);
    const key = book.keyOf(peer);
    if (!key || !(await verifyEvent(event, key))) return diagnostics.drop(peer, "bad-signature", `delivery ${event.id}: signature does not verify`);
    const known = log.event(event.id);
    if (known) {
      if (known.seq !== undefined && sameHandle(known.author, peer)) session.send({ t: "ack", id: event.id, seq: known.seq });
      return;
    }
    const refusal = writeRefusal(log, me, peer, event.kind, event.body);
    if (refusal) {
      session.send({ t: "nack", id: event.id, reason: refusal.code });
      return;
    }
    if (!budgets.delivery(peer)) {
      // Not now: the item stays in their outbox and comes again on a later connection.
      diagnostics.drop(peer, "over-quota", `delivery ${event.id}: more than a friend may add to my wall for now`);
      session.send({ t: "nack", id: event.id, reason: "over-quota" });
      return;
    }
    const stored = await this.appendToMyWall(event);
    session.send({ t: "ack", id: event.id, seq: stored.seq! });
  }

  async onAck(session: Session, id: string, seq: number): Promise<void> {
    const { log, outbox } = this.options;
    const item = outbox.get(id);
    const event = log.event(id);
    if (!item || !sameHandle(item.to, session.peer) || !event) return;
    await log.store([{ ...event, seq }], { outboxRemove: [id] });
    outbox.removed([id]);
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
    this.options.changed();
  }

  private appendToMyWall(event: SignedEvent): Promise<WallEvent> {
    const { me, log } = this.options;
    return this.writes.run(async () => {
      const existing = log.event(event.id);
      if (existing?.seq !== undefined) return existing;
      const stored: WallEvent = { ...event, seq: log.cursor(me) + 1 };
      await log.store([stored]);
      this.options.appended(stored);
      return stored;
    });
  }
}
