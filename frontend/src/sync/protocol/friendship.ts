// Becoming and staying friends: the commands (add, accept, decline, unfriend, block, unblock,
// confirm a changed key), the friend frames, and what a proven link means for each person: pin
// their key, notice a changed one, or ask them to be friends.
import type { FriendRecord } from "../../store/db";
import type { Diagnostics } from "../diagnostics";
import { isHandle } from "../events";
import type { Frame } from "../frames";
import { sameHandle } from "../handles";
import { type Refusal, Refused, type Words } from "../outcomes";
import type { Connections } from "../peers/connections";
import type { Session } from "../peers/session";
import type { FriendBook } from "../state/friendBook";

export type HandleLookup = (handle: string) => Promise<string | null>;

export interface FriendshipEvents {
  /** A proven friend with the pinned key: walls may sync. */
  trusted(session: Session): void;
  /** Another device of mine proved my key: we keep each other's store. */
  ownDevice(session: Session): void;
  /** A trusted friend says again that we are friends (they just trusted me): ask for their wall anew. */
  resync(session: Session): void;
  /** Someone asked to be my friend. */
  requested(who: string): void;
  /** Someone I asked said yes. */
  accepted(who: string): void;
  /** I confirmed a friend's new key: their wall starts anew (done before anything syncs). */
  rekeyed(who: string): Promise<void>;
  changed(): void;
}

export interface FriendshipOptions {
  me: string;
  myKey: string;
  /** Restored from my phrase without my friend list: whoever watches me may find me, till it is back. */
  restoring(): boolean;
  book: FriendBook;
  connections: Connections;
  lookup: HandleLookup;
  now: () => number;
  diagnostics: Diagnostics;
  words: Words;
  on: FriendshipEvents;
}

type FriendFrame = Extract<Frame, { t: "friend-request" | "friend-accept" | "friend-decline" | "unfriend" }>;

export class Friendship {
  constructor(private readonly options: FriendshipOptions) {}

  private get book(): FriendBook {
    return this.options.book;
  }

  private get links(): Connections {
    return this.options.connections;
  }

  private refuse(outcome: Refusal): never {
    throw new Refused(outcome, this.options.words);
  }

  // --- commands -----------------------------------------------------------------------

  /** Sends a friend request; resolves to a sentence for the person, or throws a Refused. */
  async addFriend(typed: string): Promise<string> {
    const { words } = this.options;
    const wanted = typed.trim().replace(/^@/, "");
    if (!isHandle(wanted)) this.refuse({ code: "not-a-handle" });
    const handle = await this.options.lookup(wanted);
    if (!handle) this.refuse({ code: "no-such-handle", handle: wanted });
    if (sameHandle(handle, this.options.me)) this.refuse({ code: "is-me" });
    const existing = this.book.get(handle);
    if (existing?.state === "accepted") this.refuse({ code: "already-friends", handle: this.book.name(handle) });
    if (existing?.state === "blocked") this.refuse({ code: "blocked", handle: this.book.name(handle) });
    if (existing?.state === "requested-in") {
      await this.accept(handle);
      return words({ code: "now-friends", handle: this.book.name(handle) });
    }
    await this.save({ handle, name: handle, state: "requested-out", since: this.options.now() });
    this.rewatch();
    this.links.resetRetry(handle);
    this.links.dial(handle);
    return words({ code: "request-sent", handle });
  }

  async accept(handle: string): Promise<void> {
    const friend = this.book.get(handle);
    if (!friend || friend.state !== "requested-in") return;
    await this.save({ ...friend, state: "accepted", since: this.options.now() });
    this.rewatch();
    const proven = this.links.sessionsOf(handle).filter((s) => s.proven);
    for (const session of proven) {
      session.send({ t: "friend-accept" });
      this.trust(session);
    }
    if (!proven.length) this.links.dial(handle);
  }

  async decline(handle: string): Promise<void> {
    const friend = this.book.get(handle);
    if (!friend || friend.state !== "requested-in") return;
    await this.save({ ...friend, state: "declined" });
    this.rewatch();
    for (const session of this.links.sessionsOf(handle)) session.send({ t: "friend-decline" });
  }

  async unfriend(handle: string): Promise<void> {
    if (!this.book.get(handle)) return;
    for (const session of this.links.sessionsOf(handle)) session.send({ t: "unfriend" });
    await this.forget(handle);
  }

  async block(handle: string): Promise<void> {
    const friend = this.book.get(handle);
    for (const session of this.links.sessionsOf(handle)) session.send({ t: "unfriend" });
    await this.save({ handle, name: friend?.name ?? handle, state: "blocked", since: this.options.now(), key: friend?.key });
    this.links.close(handle, "refused");
    this.rewatch();
  }

  async unblock(handle: string): Promise<void> {
    if (this.book.isBlocked(handle)) await this.forget(handle);
  }

  /** Trusts the new key a friend presented (after comparing safety numbers). */
  async confirmKey(handle: string): Promise<void> {
    const friend = this.book.get(handle);
    if (!friend?.changedKey) return;
    // First, so that a confirmation cut short is asked again rather than half done.
    await this.options.on.rekeyed(handle);
    await this.save({ ...friend, key: friend.changedKey, changedKey: undefined });
    for (const session of this.links.sessionsOf(handle)) {
      if (!session.proven) continue;
      // They may have asked anew from their new browser: say yes, so that their side syncs too.
      session.send({ t: "friend-accept" });
      this.trust(session);
    }
  }

  /** Tells the broker whose presence I want: my friends, and my own other devices. */
  rewatch(): void {
    this.links.watch([...this.book.watched(), this.options.me], this.options.restoring());
  }

  /**
   * My friend list came back on my own wall (a friend served it to me after a restore): the
   * friends it names are my friends again, their keys pinned when they next prove them.
   */
  async restoreFrom(list: Iterable<string>): Promise<number> {
    const { me, now } = this.options;
    let added = 0;
    for (const handle of list) {
      if (sameHandle(handle, me) || !isHandle(handle) || this.book.get(handle)) continue;
      await this.book.save({ handle, name: handle, state: "accepted", since: now() });
      added++;
    }
    this.rewatch();
    this.options.on.changed();
    for (const handle of list) for (const session of this.links.sessionsOf(handle)) if (session.proven && !session.trusted) await this.onProven(session);
    return added;
  }

  /** The broker is back: people I asked cannot say they are online, so they are tried now. */
  onBrokerOnline(): void {
    this.rewatch();
    for (const f of this.book.all()) if (f.state === "requested-out") this.links.dial(f.name ?? f.handle);
  }

  // --- a proven link, and the friend frames -------------------------------------------

  /** The peer proved its key: pin it for a friend, notice a change, or ask to be friends. */
  async onProven(session: Session): Promise<void> {
    const hello = session.hello!;
    if (session.own) {
      // My own handle, logged in elsewhere: one of my devices only if it holds my key.
      if (hello.key !== this.options.myKey) {
        this.options.diagnostics.drop(session.peer, "key-changed", "a browser logged in as me holds another key (started fresh?)");
        session.close("refused");
        return;
      }
      session.trusted = true;
      this.options.on.ownDevice(session);
      return;
    }
    const friend = this.book.get(session.peer);
    switch (friend?.state) {
      case "accepted":
        if (friend.key && friend.key !== hello.key) {
          if (friend.changedKey !== hello.key) await this.save({ ...friend, changedKey: hello.key });
          this.options.diagnostics.drop(session.peer, "key-changed", "presented a key different from the one pinned; waiting for confirmation");
          return;
        }
        if (!friend.key) await this.save({ ...friend, key: hello.key });
        session.send({ t: "friend-accept" });
        this.trust(session);
        return;
      case "requested-out":
        session.send({ t: "friend-request" });
        return;
      case "declined":
        session.send({ t: "friend-decline" });
        return;
      default:
        // Restored without my friend list: whoever this is may hold my wall (checked against my key).
        if (this.options.restoring()) session.send({ t: "sync", wall: this.options.me, since: {} });
        this.options.on.changed();
    }
  }

  async onFrame(session: Session, frame: FriendFrame): Promise<void> {
    switch (frame.t) {
      case "friend-request":
        return this.onRequest(session);
      case "friend-accept":
        return this.onAccept(session);
      case "friend-decline":
        return this.onDecline(session.peer);
      case "unfriend":
        return this.onUnfriend(session.peer);
    }
  }

  private async onRequest(session: Session): Promise<void> {
    const peer = session.peer;
    const key = session.hello!.key;
    const friend = this.book.get(peer);
    if (!friend) {
      await this.save({ handle: peer, name: peer, state: "requested-in", key, since: this.options.now() });
      this.options.on.requested(peer);
    } else if (friend.state === "requested-out") {
      // We both asked: that is a yes from both.
      await this.save({ ...friend, state: "accepted", key, since: this.options.now() });
      this.rewatch();
      session.send({ t: "friend-accept" });
      this.trust(session);
      this.options.on.accepted(peer);
    } else if (friend.state === "requested-in" && friend.key !== key) {
      await this.save({ ...friend, key });
    } else if (friend.state === "accepted") {
      // They lost us (a new browser without a backup): tell them we are friends.
      session.send({ t: "friend-accept" });
    }
  }

  private async onAccept(session: Session): Promise<void> {
    const friend = this.book.get(session.peer);
    // They trusted me only now (they confirmed my new key, say): what I asked before was dropped.
    if (friend?.state === "accepted" && session.trusted) return this.options.on.resync(session);
    if (friend?.state !== "requested-out") return;
    await this.save({ ...friend, state: "accepted", key: session.hello!.key, since: this.options.now() });
    this.rewatch();
    this.trust(session);
    this.options.on.accepted(session.peer);
  }

  private async onDecline(peer: string): Promise<void> {
    const friend = this.book.get(peer);
    if (friend?.state !== "requested-out") return;
    this.links.resetRetry(peer);
    await this.save({ ...friend, state: "declined" });
    this.rewatch();
  }

  private async onUnfriend(peer: string): Promise<void> {
    const state = this.book.state(peer);
    if (state === "accepted" || state === "requested-out" || state === "requested-in") await this.forget(peer);
  }

  /** A proven friend with the pinned key: the session is trusted, and walls start to sync. */
  private trust(session: Session): void {
    const friend = this.book.get(session.peer);
    if (!session.hello || friend?.state !== "accepted" || friend.key !== session.hello.key || session.trusted) return;
    session.trusted = true;
    this.options.on.trusted(session);
  }

  private async save(record: FriendRecord): Promise<void> {
    await this.book.save(record);
    this.options.on.changed();
  }

  private async forget(handle: string): Promise<void> {
    await this.book.remove(handle);
    this.links.close(handle, "refused");
    this.rewatch();
    this.options.on.changed();
  }
}
