// My links to other browsers: the broker's state, who is online, one session a person, who dials
// when both come online at once, retries with backoff, and a keepalive that notices dead links.
import type { Identity } from "../../crypto/identity";
import type { Diagnostics } from "../diagnostics";
import { isDevice, isHandle } from "../events";
import type { Frame } from "../frames";
import { canon, sameHandle } from "../handles";
import type { Link, Transport } from "../transport";
import type { FrameDecoder } from "../decode/decoder";
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
  link(session: Session, frame: Extract<Frame, { t: "link-ask" | "link-proof" }>): Promise<void> | void;
  frame(session: Session, frame: Frame): Promise<void> | void;
  binary(session: Session, message: ArrayBuffer): Promise<void> | void;
  drain(session: Session): void;
  /** A session ended (``trusted`` says whether walls were syncing over it). */
  gone(session: Session): void;
  changed(): void;
}

export interface ConnectionsOptions {
  me: string;
  /** This browser's device ("" for one connected by the bare handle). */
  device: string;
  identity: Identity;
  transport: Transport;
  now: () => number;
  diagnostics: Diagnostics;
  decoder: FrameDecoder;
  want(handle: string): Want;
  /** People whose links are closed at once (I blocked them). */
  isBlocked(handle: string): boolean;
  /** May this device of mine link to me (it is not one I removed)? */
  isMyDevice(device: string): boolean;
  /** Did this friend remove that device of theirs (their signed friend list says so)? */
  isRemovedDevice?(handle: string, device: string): boolean;
  on: ConnectionsEvents;
}

const RETRY_AFTER: ReadonlySet<CloseReason> = new Set(["closed-by-peer", "dead-link", "no-proof"]);

/** One key a device: a handle's canonical form, and its device. */
function idOf(handle: string, device: string): string {
  return device ? `${canon(handle)}-${device}` : canon(handle);
}

export class Connections {
  /** Sessions by device (idOf). */
  private readonly sessions = new Map<string, Session>();
  /** Each handle's devices online, by canonical handle. */
  private readonly online = new Map<string, Set<string>>();
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
      presence: (handle, device, online) => this.onPresence(handle, device, online),
      unavailable: (handle, device) => this.onUnavailable(handle, device),
      located: (handle, devices) => {
        for (const device of devices) this.dialDevice(handle, device);
        // Someone I asked is nowhere yet: asked again, on the backoff schedule.
        if (!devices.length) this.scheduleRetry(handle, "");
      },
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

  /** A session to one of the person's devices: a trusted one first, then a proven one. */
  session(handle: string): Session | undefined {
    const all = this.sessionsOf(handle);
    return all.find((s) => s.trusted) ?? all.find((s) => s.proven) ?? all[0];
  }

  /** The sessions to each of the person's devices. */
  sessionsOf(handle: string): Session[] {
    const key = canon(handle);
    return [...this.sessions.values()].filter((s) => canon(s.peer) === key);
  }

  /** A session to a friend whose key is proven, if any. */
  trusted(handle: string): Session | undefined {
    const session = this.session(handle);
    return session?.trusted && !session.own ? session : undefined;
  }

  /** Trusted sessions to friends' devices (not to my own devices). */
  trustedSessions(): Session[] {
    return [...this.sessions.values()].filter((s) => s.trusted && !s.own);
  }

  /** Sessions to my other devices that proved my key. */
  ownSessions(): Session[] {
    return [...this.sessions.values()].filter((s) => s.trusted && s.own);
  }

  /** Is any device of the person online? */
  isOnline(handle: string): boolean {
    return (this.online.get(canon(handle))?.size ?? 0) > 0;
  }

  /** My devices the broker says are online. */
  devicesOnline(handle: string): string[] {
    return [...(this.online.get(canon(handle)) ?? [])];
  }

  isConnected(handle: string): boolean {
    return this.trusted(handle) !== undefined;
  }

  /** The handles whose presence I want from the broker (``watchers``: and whoever watches me). */
  watch(handles: string[], watchers = false): void {
    this.options.transport.watch(handles, watchers);
  }

  /** Dials every device of the person the broker says is online; asks where they are if none. */
  dial(handle: string): void {
    if (!this.brokerUp || this.options.want(handle) === "never") return;
    const devices = this.devicesOnline(handle);
    if (!devices.length) return this.options.transport.locate(handle);
    for (const device of devices) this.dialDevice(handle, device);
  }

  private dialDevice(handle: string, device: string): void {
    if (!this.brokerUp || this.sessions.has(idOf(handle, device))) return;
    if (sameHandle(handle, this.options.me) && device === this.options.device) return;
    this.options.transport.dial(handle, device);
  }

  /** Forgets the backoff for a device, or every device of a person (they answered, or I asked anew). */
  resetRetry(handle: string, device?: string): void {
    for (const [key, entry] of this.retries) {
      const ours = device === undefined ? key === canon(handle) || key.startsWith(`${canon(handle)}-`) : key === idOf(handle, device);
      if (!ours) continue;
      clearTimeout(entry.timer);
      this.retries.delete(key);
    }
  }

  /** Closes the links to every device of the person. */
  close(handle: string, reason: CloseReason): void {
    for (const session of this.sessionsOf(handle)) session.close(reason);
  }

  /** Closes the link to one device (of mine, or a friend's they removed). */
  closeDevice(handle: string, device: string, reason: CloseReason): void {
    this.sessions.get(idOf(handle, device))?.close(reason);
  }

  // --- the transport's news -----------------------------------------------------------

  private onBroker(online: boolean): void {
    this.brokerUp = online;
    if (!online) this.online.clear();
    this.options.on.broker(online);
    this.options.on.changed();
  }

  private onPresence(handle: string, device: string, online: boolean): void {
    const key = canon(handle);
    const id = idOf(handle, device);
    if (sameHandle(handle, this.options.me) && device === this.options.device) return;
    let devices = this.online.get(key);
    if (online) {
      if (!devices) this.online.set(key, (devices = new Set()));
      devices.add(device);
    } else {
      devices?.delete(device);
      if (devices?.size === 0) this.online.delete(key);
    }
    this.options.on.changed();
    // Coming or going on the broker may mean a reloaded page: is our link still alive?
    const session = this.sessions.get(id);
    if (session) return session.probe();
    const mine = sameHandle(handle, this.options.me);
    if (!online || (!mine && this.options.want(handle) === "never") || (mine && !this.options.isMyDevice(device))) return;
    // Both sides see each other come online at once. The smaller id dials; the other dials
    // only if that call has not arrived after a grace period.
    if (idOf(this.options.me, this.options.device) < id) return this.dialDevice(handle, device);
    clearTimeout(this.graces.get(id));
    this.graces.set(
      id,
      setTimeout(() => {
        this.graces.delete(id);
        if (!this.sessions.has(id) && this.online.get(key)?.has(device)) this.dialDevice(handle, device);
      }, DIAL_GRACE_MS),
    );
  }

  private onUnavailable(handle: string, device: string): void {
    this.online.get(canon(handle))?.delete(device);
    // PeerJS made a link for the failed dial and never closes it: drop it, or the retry's
    // dial() would find a session for this device and do nothing.
    const session = this.sessions.get(idOf(handle, device));
    if (session && !session.proven) session.close("unavailable");
    this.scheduleRetry(handle, device);
  }

  private scheduleRetry(handle: string, device: string): void {
    const key = idOf(handle, device);
    const want = sameHandle(handle, this.options.me) ? "when-online" : this.options.want(handle);
    const online = this.online.get(canon(handle))?.has(device) ?? false;
    if (!(want === "poll" || (want === "when-online" && online))) return;
    const entry = this.retries.get(key) ?? { attempt: 0 };
    if (entry.timer) return;
    const wait = RETRY_MS[Math.min(entry.attempt, RETRY_MS.length - 1)]!;
    entry.attempt++;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      // Someone I asked may have come back on another device: ask where they are.
      if (want === "poll" && !online) this.dial(handle);
      else this.dialDevice(handle, device);
    }, wait);
    this.retries.set(key, entry);
  }

  private onLink(link: Link): void {
    const { me, device } = this.options;
    const peer = link.peer;
    const key = idOf(peer, link.device);
    const mine = sameHandle(peer, me);
    const refuse =
      !isHandle(peer) ||
      (link.device !== "" && !isDevice(link.device)) ||
      (mine
        ? link.device === device || !this.options.isMyDevice(link.device)
        : this.options.isBlocked(peer) || (this.options.isRemovedDevice?.(peer, link.device) ?? false));
    if (refuse) {
      link.close();
      return;
    }
    const existing = this.sessions.get(key);
    if (existing) {
      // Two links to one device (both dialed at once): keep the one the smaller id dialed,
      // and of two dialed by the same side, the newer. Both sides choose the same one.
      const dialer = (l: Link) => (l.initiator ? idOf(me, device) : idOf(l.peer, l.device));
      if (dialer(link) > dialer(existing.link)) {
        link.close();
        return;
      }
      existing.close("replaced");
    }
    const session = new Session(link, {
      me,
      identity: this.options.identity,
      now: this.options.now,
      diagnostics: this.options.diagnostics,
      decoder: this.options.decoder,
      on: {
        proven: (s) => {
          this.resetRetry(s.peer, s.device);
          return this.options.on.proven(s);
        },
        link: (s, frame) => this.options.on.link(s, frame),
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
    const key = idOf(session.peer, session.device);
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    this.keepAlive();
    this.options.on.gone(session);
    this.options.on.changed();
    if (RETRY_AFTER.has(reason)) this.scheduleRetry(session.peer, session.device);
  }
}
