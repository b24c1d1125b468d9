// Walls between friends: I serve my wall to a friend who asks ("everything since seq x", in
// batches), catch up a friend's wall from its owner, check every event's signature before it is
// stored, and stream new events of my wall to every trusted friend as they happen.
import type { Diagnostics } from "../diagnostics";
import { verifyEvent, type WallEvent } from "../events";
import { batchEvents, type Frame, MAX_FRAME_BYTES } from "../frames";
import { sameHandle } from "../handles";
import type { Connections } from "../peers/connections";
import type { Session } from "../peers/session";
import { mayAcceptWall, mayServeWall, mayShowVouchedAuthor } from "../policy";
import type { Budgets } from "../state/budgets";
import type { EventLog } from "../state/eventLog";
import type { FriendBook } from "../state/friendBook";
import type { Outbox } from "../state/outbox";

/** A catch-up stores its events in transactions of about this many. */
export const CATCH_UP_WRITE = 2_000;

export interface WallSyncOptions {
  me: string;
  myKey: string;
  log: EventLog;
  book: FriendBook;
  outbox: Outbox;
  budgets: Budgets;
  connections: Connections;
  diagnostics: Diagnostics;
  /** Events of a friend's wall were stored (``delivered``: my outbox items among them). */
  stored(events: WallEvent[], delivered: string[]): void;
}

function frameSize(frame: Frame): number {
  return JSON.stringify(frame).length;
}

export class WallSync {
  constructor(private readonly options: WallSyncOptions) {}

  /** A friend's session became trusted: ask for their wall from where I am. */
  start(session: Session): void {
    session.send({ t: "sync", wall: session.peer, since: this.options.log.cursor(session.peer) });
  }

  /** Sends a new event of my wall to every trusted friend. */
  broadcast(event: WallEvent): void {
    const keys = this.keysFor([event]);
    for (const session of this.options.connections.trustedSessions()) session.send({ t: "event", event, keys });
  }

  /** A friend asks for my wall since a sequence number: I stream it in batches. */
  onSync(session: Session, wall: string, since: number): void {
    const { me, log, budgets, diagnostics } = this.options;
    const peer = session.peer;
    if (!mayServeWall(wall, peer, me)) return diagnostics.drop(peer, "not-owner", `asked for @${wall}'s wall, which only its owner serves`);
    const verdict = budgets.sync(peer, session.nonce, wall, since);
    if (verdict === "repeated") return diagnostics.drop(peer, "repeated-sync", `asked again for @${wall}'s wall since ${since}`);
    if (verdict === "over-quota") return diagnostics.drop(peer, "over-quota", "too many sync requests");
    const events = log.since(me, since);
    for (const frame of batchEvents(me, events, (a) => this.keyOf(a), log.cursor(me))) {
      if (frameSize(frame) > MAX_FRAME_BYTES) continue; // cannot happen for checked events
      session.send(frame);
    }
  }

  /** Events of a friend's wall, from that friend (its owner), in sequence order. */
  async onEvents(
    session: Session,
    wall: string,
    events: WallEvent[],
    keys: Record<string, string>,
    upto: number | null,
    done: boolean,
  ): Promise<void> {
    const { me, log, book, outbox, diagnostics } = this.options;
    const peer = session.peer;
    if (!mayAcceptWall(wall, peer)) return diagnostics.drop(peer, "not-owner", `sent events of @${wall}'s wall, which only its owner serves`);
    const before = log.cursor(wall);
    // A catch-up's batches are stored together (fewer, larger transactions); a live event at once.
    const { events: accepted, delivered } = session.catchUp;
    // Friends' keys are pinned; for the owner's other friends, the owner vouches.
    const keyFor = (author: string) => (sameHandle(author, me) || book.isFriend(author) ? this.keyOf(author) : keys[author]);
    // All of a batch's signatures are checked at once: WebCrypto answers each asynchronously.
    const verdicts = await Promise.all(
      events.map((event) => {
        const key = sameHandle(event.wall, wall) ? keyFor(event.author) : undefined;
        return key ? verifyEvent(event, key) : Promise.resolve(false);
      }),
    );
    events.forEach((event, i) => {
      if (!sameHandle(event.wall, wall)) return diagnostics.drop(peer, "wrong-wall", `event ${event.id} belongs to @${event.wall}'s wall`);
      if (!mayShowVouchedAuthor(event.author, (h) => book.isBlocked(h)))
        return diagnostics.drop(peer, "blocked-author", `event ${event.id} is by @${event.author}, whom I blocked`);
      if (!verdicts[i]) return diagnostics.drop(peer, "bad-signature", `event ${event.id} by @${event.author}: signature does not verify`);
      if (log.ordered(event.id)) return;
      accepted.push(event);
      if (outbox.has(event.id)) delivered.push(event.id);
    });
    if (!done && accepted.length < CATCH_UP_WRITE) return;
    session.catchUp = { events: [], delivered: [] };
    if (accepted.length) {
      await log.store(accepted, { outboxRemove: delivered });
      outbox.removed(delivered);
      this.options.stored(accepted, delivered);
    }
    // A live event beyond what I hold means I missed some: catch up from my cursor.
    if (upto === null && events[0]?.seq !== undefined && events[0].seq > before + 1) {
      session.send({ t: "sync", wall, since: log.cursor(wall) });
    }
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
    return sameHandle(handle, this.options.me) ? this.options.myKey : this.options.book.keyOf(handle);
  }
}
