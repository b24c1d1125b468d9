// My links to other browsers: the broker's state, who is online, one session a person, who dials
// when both come online at once, retries with backoff, and a keepalive that notices dead links.
import type { Identity } from "../../crypto/identity";
import type { Diagnostics } from "../diagnostics";
import { isHandle } from "../events";
import type { Frame } from "../frames";
import { canon, sameHandle } from "../handles";
import type { Link, Transport } from "../transport";
import { type CloseReason, Session } from "./session";

/** The larger handle waits this long for the smaller one to dial before dialing itself. */
export const DIAL_GRACE_MS = 2_500;
export const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000];
/** A quiet link is pinged this often, so a dead one is noticed even without presence news. */
export const KEEPALIVE_MS = 20_000;

/**
 * How much I want a link to someone: ``poll`` (people I asked: they cannot tell me they are
 * online, so I try now and then), ``when-online`` (friends: retried while they are online),
 * ``if-asked`` (dialed when they show up, never retried), ``never`` (blocked, declined, unknown).
 */
export type Want = "poll" | "when-online" | "if-asked" | "never";

export interface ConnectionsEvents {
  /** The broker link came up or went down. */
  broker(online: boolean): void;
  proven(session: Session): Promise<void> | void;
  frame(session: Session, frame: Frame): Promise<void> | void;
  binary(session: Session, message: ArrayBuffer): Promise<void> | void;
  drain(session: Session): void;
  /** A session ended (``trusted`` says whether walls were syncing over it). */
  gone(session: Session): void;
  changed(): void;
}

export interface ConnectionsOptions {
  me: string;
  identity: Identity;
  transport: Transport;
  now: () => number;
  diagnostics: Diagnostics;
  want(handle: string): Want;
  /** People whose links are closed at once (I blocked them). */
  isBlocked(handle: string): boolean;
  on: ConnectionsEvents;
}

const RETRY_AFTER: ReadonlySet<CloseReason> = new Set(["closed-by-peer", "dead-link", "no-proof"]);

export class Connections {
  private readonly sessions = new Map<string, Session>();
  private readonly online = new Set<string>();
  private readonly retries = new Map<string, { attempt: number; timer?: ReturnType<typeof setTimeout> }>();
  private readonly graces = new Map<string, ReturnType<typeof setTimeout>>();
  private keepalive?: ReturnType<typeof setInterval>;
  private brokerUp = false;

  constructor(private readonly options: ConnectionsOptions) {}

  get brokerOnline(): boolean {
    return this.brokerUp;
  }

  start(): void {
    this.options.transport.setHandlers({
      link: (link) => this.onLink(link),
      presence: (handle, online) => this.onPresence(handle, online),
      unavailable: (handle) => this.onUnavailable(handle),
      broker: (online) => this.onBroker(online),
    });
  }

  /** Pings quiet links while there are any (a page with no links keeps no timer). */
  private keepAlive(): void {
    if (this.sessions.size === 0) {
      clearInterval(this.keepalive);
      this.keepalive = undefined;
      return;
    }
    this.keepalive ??= setInterval(() => {
      const quiet = this.options.now() - KEEPALIVE_MS;
      for (const session of this.sessions.values()) if (session.lastHeard < quiet) session.probe();
    }, KEEPALIVE_MS);
  }

  /** Closes every session and clears every timer. */
  stop(): void {
    clearInterval(this.keepalive);
    this.keepalive = undefined;
    for (const entry of this.retries.values()) clearTimeout(entry.timer);
    this.retries.clear();
    for (const timer of this.graces.values()) clearTimeout(timer);
    this.graces.clear();
    for (const session of [...this.sessions.values()]) session.close("stopped");
  }

  // --- what the other parts ask -------------------------------------------------------

  session(handle: string): Session | undefined {
    return this.sessions.get(canon(handle));
  }

  /** The session to a friend whose key is proven, if any. */
  trusted(handle: string): Session | undefined {
    const session = this.session(handle);
    return session?.trusted ? session : undefined;
  }

  trustedSessions(): Session[] {
    return [...this.sessions.values()].filter((s) => s.trusted);
  }

  isOnline(handle: string): boolean {
    return this.online.has(canon(handle));
  }

  isConnected(handle: string): boolean {
    return this.trusted(handle) !== undefined;
  }

  /** The handles whose presence I want from the broker. */
  watch(handles: string[]): void {
    this.options.transport.watch(handles);
  }

  dial(handle: string): void {
    if (!this.brokerUp || this.sessions.has(canon(handle)) || this.options.want(handle) === "never") return;
    this.options.transport.dial(handle);
  }

  /** Forgets the backoff for a person (they answered, or I asked anew). */
  resetRetry(handle: string): void {
    const entry = this.retries.get(canon(handle));
    clearTimeout(entry?.timer);
    this.retries.delete(canon(handle));
  }

  close(handle: string, reason: CloseReason): void {
    this.session(handle)?.close(reason);
  }

  // --- the transport's news -----------------------------------------------------------

  private onBroker(online: boolean): void {
    this.brokerUp = online;
    if (!online) this.online.clear();
    this.options.on.broker(online);
    this.options.on.changed();
  }

  private onPresence(handle: string, online: boolean): void {
    const key = canon(handle);
    if (online) this.online.add(key);
    else this.online.delete(key);
    this.options.on.changed();
    // Coming or going on the broker may mean a reloaded page: is our link still alive?
    const session = this.sessions.get(key);
    if (session) return session.probe();
    if (!online || this.options.want(handle) === "never") return;
    // Both sides see each other come online at once. The smaller handle dials; the other
    // dials only if that call has not arrived after a grace period.
    if (canon(this.options.me) < key) return this.dial(handle);
    clearTimeout(this.graces.get(key));
    this.graces.set(
      key,
      setTimeout(() => {
        this.graces.delete(key);
        if (!this.sessions.has(key) && this.online.has(key)) this.dial(handle);
      }, DIAL_GRACE_MS),
    );
  }

  private onUnavailable(handle: string): void {
    this.online.delete(canon(handle));
    // PeerJS made a link for the failed dial and never closes it: drop it, or the retry's
    // dial() would find a session for this handle and do nothing.
    const session = this.session(handle);
    if (session && !session.proven) session.close("unavailable");
    this.scheduleRetry(handle);
  }

  private scheduleRetry(handle: string): void {
    const key = canon(handle);
    const want = this.options.want(handle);
    if (!(want === "poll" || (want === "when-online" && this.online.has(key)))) return;
    const entry = this.retries.get(key) ?? { attempt: 0 };
    if (entry.timer) return;
    const wait = RETRY_MS[Math.min(entry.attempt, RETRY_MS.length - 1)]!;
    entry.attempt++;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.dial(handle);
    }, wait);
    this.retries.set(key, entry);
  }

  private onLink(link: Link): void {
    const peer = link.peer;
    const key = canon(peer);
    if (!isHandle(peer) || sameHandle(peer, this.options.me) || this.options.isBlocked(peer)) {
      link.close();
      return;
    }
    const existing = this.sessions.get(key);
    if (existing) {
      // Two links to one friend (both dialed at once): keep the one the smaller handle dialed,
      // and of two dialed by the same side, the newer. Both sides choose the same one.
      const dialer = (l: Link) => canon(l.initiator ? this.options.me : l.peer);
      if (dialer(link) > dialer(existing.link)) {
        link.close();
        return;
      }
      existing.close("replaced");
    }
    const session = new Session(link, {
      me: this.options.me,
      identity: this.options.identity,
      now: this.options.now,
      diagnostics: this.options.diagnostics,
      on: {
        proven: (s) => {
          this.resetRetry(s.peer);
          return this.options.on.proven(s);
        },
        frame: (s, frame) => this.options.on.frame(s, frame),
        binary: (s, message) => this.options.on.binary(s, message),
        drain: (s) => this.options.on.drain(s),
        closed: (s, reason) => this.onClosed(s, reason),
      },
    });
    this.sessions.set(key, session);
    session.start();
    this.keepAlive();
  }

  private onClosed(session: Session, reason: CloseReason): void {
    const key = canon(session.peer);
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    this.keepAlive();
    this.options.on.gone(session);
    this.options.on.changed();
    if (RETRY_AFTER.has(reason)) this.scheduleRetry(session.peer);
  }
}
