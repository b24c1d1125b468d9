// One link to one peer: the hello/proof handshake that proves who is at the other end, frames
// handled one at a time in the order they came, pings that notice a dead link, and one way to
// end it (close), whatever ends it.
import { canonicalJson, randomId } from "../../crypto/encoding";
import { type Identity, sign, verify } from "../../crypto/identity";
import type { Diagnostics } from "../diagnostics";
import type { WallEvent } from "../events";
import type { Decoded } from "../decode/decodeFrame";
import type { FrameDecoder } from "../decode/decoder";
import { type Frame, PROTOCOL_VERSION } from "../frames";
import { canon, sameHandle } from "../handles";
import { Serial } from "../serial";
import { Outflow } from "./outflow";
import type { Link } from "../transport";

// An honest peer says hello the moment the link opens; one that does not is not worth waiting for.
export const PROOF_TIMEOUT_MS = 5_000;
/** A link that answers no ping within this long is dead, whatever the data channel says. */
export const PROBE_MS = 3_000;
/**
 * Messages of one peer received and not yet handled, and their bytes. An honest peer stays far
 * below: it sends a catch-up only as fast as I hand out credit (WallSync's window), and a photo's
 * chunks only as I ask for it. A peer that floods me past either is cut off rather than buffered
 * without end.
 */
export const MAX_INBOX = 2_048;
export const MAX_INBOX_BYTES = 32 * 1024 * 1024;

export type Hello = Extract<Frame, { t: "hello" }>;

/** Checked events of a catch-up not yet stored: new ones, my outbox's among them, ones the owner confirmed, and ones held already (their places). */
export interface CatchUpBatch {
  /** Transactions written so far in this catch-up: the first is small, so the first posts show at once. */
  writes: number;
  /** The write of the batch before, while it is going. */
  writing?: Promise<void>;
  events: WallEvent[];
  delivered: string[];
  confirmed: string[];
  places: WallEvent[];
}

/** Why a session ended. */
export type CloseReason =
  | "closed-by-peer"
  | "no-proof"
  | "bad-proof"
  | "dead-link"
  | "replaced"
  | "unavailable"
  | "refused"
  | "flood"
  | "stopped";

export interface SessionEvents {
  /** The peer proved the key it said hello with. */
  proven(session: Session): Promise<void> | void;
  /** A new browser of mine asks to link with the code I show (before it can prove anything). */
  link(session: Session, frame: Extract<Frame, { t: "link-ask" | "link-proof" }>): Promise<void> | void;
  /** A frame from a proven peer, other than the handshake and pings. */
  frame(session: Session, frame: Frame): Promise<void> | void;
  /** A binary message (a photo's chunk) from a trusted friend. */
  binary(session: Session, message: ArrayBuffer): Promise<void> | void;
  /** The link's send buffer drained. */
  drain(session: Session): void;
  /** The session ended; called once. */
  closed(session: Session, reason: CloseReason): void;
}

export interface SessionOptions {
  me: string;
  identity: Identity;
  now: () => number;
  diagnostics: Diagnostics;
  /** Parses and checks frames, off the main thread where it can (sync/decode/). */
  decoder: FrameDecoder;
  on: SessionEvents;
}

function proofMessage(nonce: string, from: string, to: string, key: string): string {
  return canonicalJson({ p: "peerwall-proof", v: PROTOCOL_VERSION, nonce, from: canon(from), to: canon(to), key });
}

export class Session {
  /** The other side's handle, as the broker stamped it. */
  readonly peer: string;
  /** Which of their devices ("" for a browser connected by its bare handle). */
  readonly device: string;
  /** Another device of mine: it proves my own key, and we keep each other's whole store. */
  readonly own: boolean;
  readonly nonce = randomId(18);
  hello?: Hello;
  proven = false;
  /** Proven, and a friend whose pinned key it proved: walls may sync. */
  trusted = false;
  lastHeard: number;
  /** Checked events of a catch-up not yet stored, by wall (protocol/wallSync.ts). */
  readonly catchUp = new Map<string, CatchUpBatch>();
  /** My catch-ups to this peer, sent as fast as it handles them. */
  readonly outflow = new Outflow();
  /** ``events`` frames of catch-ups I handled and have not yet given the peer credit for. */
  owed = 0;
  private readonly inbox = new Serial();
  /** Messages received and not yet handled, and their bytes (MAX_INBOX, MAX_INBOX_BYTES). */
  private inboxed = 0;
  private inboxedBytes = 0;
  private proofTimer?: ReturnType<typeof setTimeout>;
  private probing?: ReturnType<typeof setTimeout>;
  private ended = false;

  constructor(
    readonly link: Link,
    private readonly options: SessionOptions,
  ) {
    this.peer = link.peer;
    this.device = link.device;
    this.own = sameHandle(link.peer, options.me);
    this.lastHeard = options.now();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Takes over the link's callbacks and starts the clock for the peer's proof. */
  start(): void {
    const { link } = this;
    const { me, identity } = this.options;
    link.onOpen = () => {
      link.send({ t: "hello", v: PROTOCOL_VERSION, handle: me, key: identity.publicKey, nonce: this.nonce });
    };
    link.onFrame = (raw) => {
      this.lastHeard = this.options.now();
      const bytes = typeof raw === "string" ? raw.length : 0;
      if (!this.admit(bytes)) return;
      // Decoding starts now, beside the frames still being handled; they are handled in order.
      const decoded = this.options.decoder.decode(raw, this.hello?.key, this.lastHeard);
      void this.inbox.run(async () => this.onFrame(await decoded)).finally(() => this.release(bytes));
    };
    link.onBinary = (message) => {
      this.lastHeard = this.options.now();
      // In the same queue as frames: a blob's chunks follow its blob-info, in order.
      const bytes = message.byteLength;
      if (!this.admit(bytes)) return;
      void this.inbox.run(async () => {
        if (this.ended) return;
        if (!this.trusted) return this.options.diagnostics.drop(this.peer, "untrusted", "binary data from someone who is not a trusted friend");
        await this.options.on.binary(this, message);
      }).finally(() => this.release(bytes));
    };
    link.onDrain = () => !this.ended && this.options.on.drain(this);
    link.onClose = () => this.end("closed-by-peer", false);
    this.proofTimer = setTimeout(() => {
      if (this.proven) return;
      this.options.diagnostics.drop(this.peer, "no-proof", "no proof of identity in time");
      this.close("no-proof");
    }, PROOF_TIMEOUT_MS);
  }

  send(frame: Frame): boolean {
    return !this.ended && this.link.send(frame);
  }

  /** Pings the peer; if nothing comes back in time, the session closes as a dead link. */
  probe(): void {
    if (this.ended) return;
    // A new probe wants a new answer: a pong to an older ping may predate the link's death.
    clearTimeout(this.probing);
    const sentAt = this.options.now();
    this.link.send({ t: "ping", n: sentAt });
    this.probing = setTimeout(() => {
      this.probing = undefined;
      if (this.lastHeard >= sentAt || this.ended) return;
      this.options.diagnostics.drop(this.peer, "dead-link", "the link stopped answering");
      this.close("dead-link");
    }, PROBE_MS);
  }

  /** Ends the session and closes its link. The one way out; later calls do nothing. */
  close(reason: CloseReason): void {
    this.end(reason, true);
  }

  private end(reason: CloseReason, closeLink: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.outflow.release();
    clearTimeout(this.proofTimer);
    clearTimeout(this.probing);
    if (closeLink) this.link.close();
    this.options.on.closed(this, reason);
  }

  /** Takes one more message into the inbox, or cuts off a peer that floods it. */
  private admit(bytes: number): boolean {
    if (this.ended) return false;
    const flood =
      this.inboxed >= MAX_INBOX
        ? `more than ${MAX_INBOX} messages waiting to be handled`
        : this.inboxedBytes + bytes > MAX_INBOX_BYTES
          ? `more than ${MAX_INBOX_BYTES / 1024 / 1024} MiB waiting to be handled`
          : undefined;
    if (flood) {
      this.options.diagnostics.drop(this.peer, "flood", flood);
      this.close("flood");
      return false;
    }
    this.inboxed++;
    this.inboxedBytes += bytes;
    return true;
  }

  private release(bytes: number): void {
    this.inboxed--;
    this.inboxedBytes -= bytes;
  }

  private async onFrame(decoded: Decoded): Promise<void> {
    if (this.ended) return;
    const { diagnostics } = this.options;
    if (!decoded.ok) return diagnostics.drop(this.peer, decoded.code, decoded.reason);
    const frame = decoded.frame;
    try {
      switch (frame.t) {
        case "ping":
          this.link.send({ t: "pong", n: frame.n });
          return;
        case "pong":
          return;
        case "hello":
          return await this.onHello(frame);
        case "proof":
          return await this.onProof(frame.sig);
        case "link-ask":
        case "link-proof":
          // Only a browser logged in as me may ask; the code decides the rest.
          if (!this.own) return diagnostics.drop(this.peer, "out-of-turn", `${frame.t} from someone else's browser`);
          return await this.options.on.link(this, frame);
      }
      if (!this.proven) return diagnostics.drop(this.peer, "out-of-turn", `${frame.t} before proof of identity`);
      await this.options.on.frame(this, frame);
    } catch (error) {
      diagnostics.drop(this.peer, "handler-error", `error handling ${frame.t}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async onHello(hello: Hello): Promise<void> {
    const { me, identity, diagnostics } = this.options;
    // The broker stamped who this link is from; a hello claiming another handle is a lie.
    if (!sameHandle(hello.handle, this.peer)) return diagnostics.drop(this.peer, "impostor", `hello claims to be @${hello.handle}`);
    if (this.hello) return diagnostics.drop(this.peer, "out-of-turn", "a second hello");
    this.hello = hello;
    const sig = await sign(identity, proofMessage(hello.nonce, me, this.peer, identity.publicKey));
    this.send({ t: "proof", sig });
  }

  private async onProof(sig: string): Promise<void> {
    const { me, diagnostics } = this.options;
    const hello = this.hello;
    if (!hello || this.proven) return diagnostics.drop(this.peer, "out-of-turn", "proof out of turn");
    if (!(await verify(hello.key, proofMessage(this.nonce, this.peer, me, hello.key), sig))) {
      diagnostics.drop(this.peer, "bad-proof", "proof of identity does not verify");
      this.close("bad-proof");
      return;
    }
    this.proven = true;
    clearTimeout(this.proofTimer);
    await this.options.on.proven(this);
  }
}
