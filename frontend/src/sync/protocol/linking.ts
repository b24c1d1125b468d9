// Linking a new browser of mine, on the side that shows the code: the offer (one code, a few
// minutes, one use, three tries), and the three frames that check it and hand over my key.
// The new browser is logged in as me (the broker checked that) but proves nothing else until it
// proves the code; it gets my identity key sealed under the code, then links like any device.
import { randomId } from "../../crypto/encoding";
import type { StoredIdentity } from "../../crypto/identity";
import { codeProof, newLinkCode, sameProof, seal } from "../../crypto/linkCode";
import type { Diagnostics } from "../diagnostics";
import type { LinkOffer } from "../devices/types";
import type { Frame } from "../frames";
import type { Session } from "../peers/session";
import type { DeviceRecord } from "../state/devices";

export const OFFER_MS = 5 * 60_000;
export const OFFER_TRIES = 3;

export interface LinkingOptions {
  now: () => number;
  diagnostics: Diagnostics;
  /** My key, as stored (what the new browser will keep). */
  identity(): Promise<StoredIdentity | undefined>;
  /** My device list, for the new browser to start from. */
  devices(): DeviceRecord[];
  /** A new device proved the code and has my key: it is one of mine now. */
  linked(device: string, name: string): Promise<void>;
  changed(): void;
}

type Link = Extract<Frame, { t: "link-ask" | "link-proof" }>;

export class Linking {
  private offer?: LinkOffer & { tries: number };
  /** The nonces of links that asked, by session. */
  private readonly asks = new WeakMap<Session, { newNonce: string; oldNonce: string; name: string }>();
  private expiry?: ReturnType<typeof setTimeout>;

  constructor(private readonly options: LinkingOptions) {}

  /** A fresh code, valid for a few minutes; any earlier one is void. */
  start(): LinkOffer {
    const now = this.options.now();
    clearTimeout(this.expiry);
    this.offer = { code: newLinkCode(), expiresAt: now + OFFER_MS, status: "waiting", tries: 0 };
    this.expiry = setTimeout(() => this.expire(), OFFER_MS);
    this.options.changed();
    return this.current()!;
  }

  current(): LinkOffer | undefined {
    if (!this.offer) return undefined;
    const { tries: _tries, ...offer } = this.offer;
    return offer;
  }

  cancel(): void {
    clearTimeout(this.expiry);
    this.offer = undefined;
    this.options.changed();
  }

  stop(): void {
    clearTimeout(this.expiry);
  }

  async onFrame(session: Session, frame: Link): Promise<void> {
    if (frame.t === "link-ask") return this.onAsk(session, frame.nonce, frame.name);
    return this.onProof(session, frame.mac);
  }

  private onAsk(session: Session, newNonce: string, name: string): void {
    const refusal = this.refusal();
    if (refusal) return void session.send({ t: "link-refused", reason: refusal });
    const oldNonce = randomId(18);
    this.asks.set(session, { newNonce, oldNonce, name });
    session.send({ t: "link-challenge", nonce: oldNonce });
  }

  private async onProof(session: Session, mac: string): Promise<void> {
    const ask = this.asks.get(session);
    const offer = this.offer;
    const refusal = this.refusal();
    if (!ask || !offer || refusal) return void session.send({ t: "link-refused", reason: refusal ?? "no-code" });
    this.asks.delete(session);
    const expected = await codeProof(offer.code, "new", ask.newNonce, ask.oldNonce);
    if (!sameProof(mac, expected)) {
      offer.tries++;
      if (offer.tries >= OFFER_TRIES) offer.status = "spent";
      this.options.diagnostics.drop(`${session.peer}-${session.device}`, "bad-proof", "a new device typed a wrong code");
      this.options.changed();
      session.send({ t: "link-refused", reason: "wrong-code" });
      return;
    }
    const identity = await this.options.identity();
    if (!identity) return void session.send({ t: "link-refused", reason: "no-code" });
    offer.status = "linked";
    offer.device = session.device;
    clearTimeout(this.expiry);
    await this.options.linked(session.device, ask.name || `Device ${session.device}`);
    const sealed = await seal(offer.code, ask.newNonce, ask.oldNonce, {
      identity: { publicKey: identity.publicKey, privateJwk: identity.privateJwk },
      devices: this.options.devices(),
    });
    session.send({ t: "link-grant", mac: await codeProof(offer.code, "old", ask.newNonce, ask.oldNonce), ...sealed });
    this.options.changed();
  }

  private refusal(): "no-code" | "expired" | "spent" | undefined {
    const offer = this.offer;
    if (!offer) return "no-code";
    if (offer.status === "linked" || offer.status === "spent") return "spent";
    if (offer.status === "expired" || this.options.now() > offer.expiresAt) return "expired";
    return undefined;
  }

  private expire(): void {
    if (this.offer?.status !== "waiting") return;
    this.offer.status = "expired";
    this.options.changed();
  }
}
