// The Transport of the sync engine, made of PeerJS: the broker link (with reconnection and
// presence) and one json DataConnection per friend.
import { type DataConnection, Peer, type PeerError } from "peerjs";
import type { Link, Transport, TransportHandlers } from "../sync/transport";
import { backoffMs, type BrokerState, loadIceServers, peerOptions } from "./broker";

/** How long a closing link may take to send what is already queued. */
const FLUSH_MS = 2_000;
/** A blob sender waits while more than this is queued on the channel (back-pressure). */
const DRAINED_BYTES = 1024 * 1024;
/** Refresh ICE servers (TURN credentials expire) at least this often. */
const ICE_REFRESH_MS = 60 * 60_000;

/** A peer id's handle and device: ``handle-device``, or a bare handle (device ""). */
export function splitPeerId(id: string): { handle: string; device: string } {
  const dash = id.indexOf("-");
  return dash < 0 ? { handle: id, device: "" } : { handle: id.slice(0, dash), device: id.slice(dash + 1) };
}

export function peerIdOf(handle: string, device: string): string {
  return device ? `${handle}-${device}` : handle;
}

class PeerLink implements Link {
  onOpen = () => {};
  onFrame = (_frame: unknown) => {};
  onBinary = (_message: ArrayBuffer) => {};
  onDrain = () => {};
  onClose = () => {};
  private closed = false;

  constructor(
    private readonly conn: DataConnection,
    readonly initiator: boolean,
  ) {
    conn.on("open", () => {
      const channel = conn.dataChannel;
      channel.bufferedAmountLowThreshold = DRAINED_BYTES;
      channel.addEventListener("bufferedamountlow", () => this.onDrain());
      this.onOpen();
    });
    // Links are "raw": frames are JSON text, blob chunks binary, on one ordered channel.
    // (PeerjsTransport refuses incoming connections of any other serialization.)
    conn.on("data", (data) => {
      // Frames go to the engine as text: it parses them, in a Worker when it has one.
      if (typeof data === "string") {
        this.onFrame(data);
      } else if (data instanceof ArrayBuffer) {
        this.onBinary(data);
      } else if (ArrayBuffer.isView(data)) {
        this.onBinary(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
      } else {
        this.onFrame(data);
      }
    });
    conn.on("close", () => this.finish());
    conn.on("error", () => this.close());
    // PeerJS does not always report a dead ICE transport as a close.
    conn.on("iceStateChanged", (state) => {
      if (state === "failed" || state === "closed") this.close();
    });
  }

  get peer(): string {
    return splitPeerId(this.conn.peer).handle;
  }

  get device(): string {
    return splitPeerId(this.conn.peer).device;
  }

  send(frame: unknown): boolean {
    return this.write(JSON.stringify(frame));
  }

  sendBinary(message: ArrayBuffer): boolean {
    return this.write(message);
  }

  get buffered(): number {
    return this.conn.open ? this.conn.dataChannel.bufferedAmount : 0;
  }

  private write(data: unknown): boolean {
    if (!this.conn.open || this.closed) return false;
    try {
      this.conn.send(data);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.finish();
    // Not PeerJS's close({flush: true}): on a raw connection it sends an object the other side
    // receives as "[object Object]", and closes nothing. Wait for the channel's buffer to drain
    // (frames sent last, like an "unfriend", still arrive), then close for real.
    const conn = this.conn;
    const started = Date.now();
    const closeWhenDrained = () => {
      if (conn.open && conn.dataChannel.bufferedAmount > 0 && Date.now() - started < FLUSH_MS) {
        setTimeout(closeWhenDrained, 50);
      } else {
        conn.close();
      }
    };
    closeWhenDrained();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

interface PresenceMessage {
  type: string;
  payload?: { handle?: unknown; online?: unknown; ids?: unknown };
}

export class PeerjsTransport implements Transport {
  private handlers?: TransportHandlers;
  private peer: Peer | null = null;
  private watching: string[] = [];
  private watchers = false;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private iceLoadedAt = 0;
  private stopped = false;

  /** ``device``: this browser's part of its peer id (``handle-device``). */
  constructor(
    private readonly handle: string,
    private readonly device: string,
    private readonly onState: (state: BrokerState) => void,
  ) {}

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.peer?.destroy();
    this.peer = null;
  }

  dial(handle: string, device: string): void {
    const peer = this.peer;
    if (!peer?.open) return;
    const conn = peer.connect(peerIdOf(handle, device), { serialization: "raw", reliable: true });
    if (conn) this.handlers?.link(new PeerLink(conn, true));
  }

  watch(handles: string[], watchers = false): void {
    this.watching = [...handles];
    this.watchers = watchers;
    this.sendWatch();
  }

  locate(handle: string): void {
    if (this.peer?.open) this.peer.socket.send({ type: "LOCATE", payload: { handle } });
  }

  private sendWatch(): void {
    // The Peerwall extension frames travel on PeerJS's own signaling socket.
    const payload = this.watchers ? { handles: this.watching, watchers: true } : { handles: this.watching };
    if (this.peer?.open) this.peer.socket.send({ type: "WATCH", payload });
  }

  private async freshIce(): Promise<RTCIceServer[] | null> {
    try {
      const servers = await loadIceServers();
      this.iceLoadedAt = Date.now();
      return servers;
    } catch (error) {
      this.retry(error instanceof Error ? error.message : "cannot reach the server");
      return null;
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.onState({ kind: "connecting" });
    const old = this.peer;
    // A peer that was open once keeps its data connections through a reconnect.
    if (old && old.disconnected && !old.destroyed && old.id !== null) {
      if (Date.now() - this.iceLoadedAt > ICE_REFRESH_MS) {
        const ice = await this.freshIce();
        if (!ice) return;
        old.options.config = { ...old.options.config, iceServers: ice };
      }
      try {
        old.reconnect();
        return;
      } catch {
        // fall through to a new peer
      }
    }
    const ice = await this.freshIce();
    if (!ice || this.stopped) return;
    old?.destroy();
    const peer = new Peer(peerIdOf(this.handle, this.device), { ...peerOptions(window.location, ice), debug: 0 });
    tolerateUnknownSerializations(peer);
    boundLostMessages(peer);
    this.peer = peer;
    peer.on("open", () => {
      if (peer !== this.peer) return;
      this.attempt = 0;
      this.onState({ kind: "online" });
      this.sendWatch();
      this.handlers?.broker(true);
    });
    peer.socket.on("message", (message: PresenceMessage) => {
      if (peer !== this.peer) return;
      const { handle, online, ids } = message.payload ?? {};
      if (message.type === "PRESENCE" && typeof handle === "string" && typeof online === "boolean") {
        const id = splitPeerId(handle);
        this.handlers?.presence(id.handle, id.device, online);
      } else if (message.type === "LOCATED" && typeof handle === "string" && Array.isArray(ids)) {
        const devices = ids.filter((i): i is string => typeof i === "string").map((i) => splitPeerId(i));
        this.handlers?.located(handle, devices.filter((d) => d.handle.toLowerCase() === handle.toLowerCase()).map((d) => d.device));
      }
    });
    peer.on("connection", (conn) => {
      // Only Peerwall's own kind of link: PeerJS's other serializations parse what the other
      // side sends, and throw in this page on malformed input.
      if (peer !== this.peer || conn.serialization !== "raw") {
        if (peer === this.peer) console.warn(`[peerwall] refused a ${conn.serialization} connection from @${conn.peer}`);
        conn.close();
        return;
      }
      this.handlers?.link(new PeerLink(conn, false));
    });
    peer.on("disconnected", () => {
      if (peer !== this.peer) return;
      this.handlers?.broker(false);
      this.retry("lost the connection to the server");
    });
    peer.on("error", (error: PeerError<string>) => this.onError(peer, error));
  }

  private onError(peer: Peer, error: PeerError<string>): void {
    if (peer !== this.peer) return;
    switch (error.type) {
      case "peer-unavailable": {
        const who = /peer (\S+)$/.exec(error.message)?.[1];
        if (who) {
          const id = splitPeerId(who);
          this.handlers?.unavailable(id.handle, id.device);
        }
        return;
      }
      case "server-error":
      case "unavailable-id":
        // The broker refused us (logged out, signed in elsewhere): retrying would loop.
        this.stopped = true;
        clearTimeout(this.timer);
        this.handlers?.broker(false);
        this.onState({ kind: "refused", reason: error.message });
        peer.destroy();
        return;
      default:
        // network, socket-error, socket-closed: the "disconnected" event follows and retries.
        return;
    }
  }

  private retry(reason: string): void {
    if (this.stopped) return;
    const wait = backoffMs(this.attempt++);
    this.onState({ kind: "offline", reason, retryInMs: wait });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), wait);
  }
}

type SerializerTable = Record<string, unknown>;

/**
 * PeerJS builds an incoming data connection with `new this._serializers[payload.serialization]`,
 * which throws, uncaught in this page, for a name it lacks. The broker relays any plain name
 * (other PeerJS apps register serializers of their own), so a stranger's OFFER naming one would
 * break this page: unknown names get the raw connection class instead, and what comes of it is an
 * ordinary link that must prove itself like any other.
 */
export function tolerateUnknownSerializations(peer: Peer): void {
  const holder = peer as unknown as { _serializers: SerializerTable };
  const table = holder._serializers;
  holder._serializers = new Proxy(table, {
    get: (target, name) => (typeof name === "string" && Object.hasOwn(target, name) ? target[name] : target.raw),
  });
}

/** Connections PeerJS keeps early messages for, and how many messages each. */
export const MAX_LOST_CONNECTIONS = 16;
export const MAX_LOST_PER_CONNECTION = 64;

type LostStore = { _lostMessages: Map<string, unknown[]>; _storeMessage(connectionId: string, message: unknown): void };

/**
 * PeerJS keeps every message for a connection id it does not know yet (``_lostMessages``), to
 * hand them over if an OFFER for that id comes later, and never forgets them: a stranger pushing
 * junk CANDIDATEs at this page would grow it without end. Honest early messages are a handful of
 * candidates for one or two connections; this keeps the newest few per id for the newest ids.
 */
export function boundLostMessages(peer: Peer): void {
  const holder = peer as unknown as LostStore;
  holder._storeMessage = (connectionId: string, message: unknown) => {
    const lost = holder._lostMessages;
    let list = lost.get(connectionId);
    if (!list) {
      while (lost.size >= MAX_LOST_CONNECTIONS) lost.delete(lost.keys().next().value!);
      lost.set(connectionId, (list = []));
    }
    if (list.length >= MAX_LOST_PER_CONNECTION) list.shift();
    list.push(message);
  };
}
