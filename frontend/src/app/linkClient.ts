// The new browser's side of linking: find my other devices through the broker, ask each to
// link, prove the code, and take the identity key it hands over, sealed under the code. The
// code itself never leaves this page: only proofs made with it do.
import { randomId } from "../crypto/encoding";
import type { StoredIdentity } from "../crypto/identity";
import { codeProof, normalizeCode, sameProof, unseal } from "../crypto/linkCode";
import { decodeFrame } from "../sync/decode/decodeFrame";
import { isKey, type LinkRefusal } from "../sync/frames";
import type { Link, Transport } from "../sync/transport";

export interface Linked {
  identity: StoredIdentity;
  devices: unknown[];
}

/** How long to look for a device of mine that shows a code. */
export const LINK_WAIT_MS = 20_000;

const REFUSAL_WORDS: Record<LinkRefusal | "none", string> = {
  "wrong-code": "That code is not the one your other device shows. Check it and type it again.",
  spent: "That code was used already, or mistyped three times. Show a new code on your other device.",
  expired: "That code has expired. Show a new code on your other device (Settings → Link a device).",
  "no-code": "Your other device is not showing a code. On it, open Settings and choose Link a device.",
  none: "No other device of yours answered. Open Peerwall on it, show a code in Settings (Link a device), and try again.",
};
/** The most telling refusal wins when several devices answered. */
const RANK: LinkRefusal[] = ["wrong-code", "spent", "expired", "no-code"];

export class LinkRefused extends Error {}

/** The words for a code typed in a form it can never have. */
export const MALFORMED_CODE = "A device code has 12 letters and digits, like 7K3Q-M9XD-2HFP. Check it and type it again.";

export function linkWithCode(transport: Transport, me: string, typed: string, name: string, waitMs = LINK_WAIT_MS): Promise<Linked> {
  const code = normalizeCode(typed);
  if (!code) return Promise.reject(new LinkRefused(MALFORMED_CODE));
  return new Promise<Linked>((resolve, reject) => {
    const refusals = new Set<LinkRefusal>();
    const links = new Set<Link>();
    let done = false;
    const finish = (outcome: Linked | LinkRefusal | "none") => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const link of links) link.close();
      if (typeof outcome === "object") resolve(outcome);
      else reject(new LinkRefused(REFUSAL_WORDS[outcome]));
    };
    const timer = setTimeout(() => finish(RANK.find((r) => refusals.has(r)) ?? "none"), waitMs);
    const talk = (link: Link) => {
      if (link.peer.toLowerCase() !== me.toLowerCase() || done) return link.close();
      links.add(link);
      const newNonce = randomId(18);
      let oldNonce = "";
      link.onOpen = () => link.send({ t: "link-ask", nonce: newNonce, name });
      link.onFrame = (raw) => void decodeFrame(raw, undefined, Date.now()).then((decoded) => {
        if (!decoded.ok) return;
        const frame = decoded.frame;
        if (frame.t === "link-challenge") {
          oldNonce = frame.nonce;
          void codeProof(code, "new", newNonce, oldNonce).then((mac) => link.send({ t: "link-proof", mac }));
        } else if (frame.t === "link-refused") {
          refusals.add(frame.reason);
          // A wrong code is final for this try: the person types it again.
          if (frame.reason === "wrong-code" || frame.reason === "spent" || frame.reason === "expired") finish(frame.reason);
        } else if (frame.t === "link-grant" && oldNonce) {
          void granted(code, newNonce, oldNonce, frame).then((linked) => linked && finish(linked));
        }
      });
      link.onClose = () => links.delete(link);
    };
    transport.setHandlers({
      link: talk,
      presence: (handle, device, online) => {
        if (online && handle.toLowerCase() === me.toLowerCase()) transport.dial(handle, device);
      },
      located: (handle, devices) => {
        for (const device of devices) transport.dial(handle, device);
      },
      unavailable: () => {},
      broker: (online) => {
        if (!online) return;
        transport.watch([me]);
      },
    });
  });
}

async function granted(code: string, newNonce: string, oldNonce: string, frame: { mac: string; iv: string; box: string }): Promise<Linked | null> {
  // The device that answers must know the code too: a stranger in the middle does not.
  if (!sameProof(frame.mac, await codeProof(code, "old", newNonce, oldNonce))) return null;
  const value = (await unseal(code, newNonce, oldNonce, frame)) as { identity?: Partial<StoredIdentity>; devices?: unknown } | null;
  const identity = value?.identity;
  if (!identity || !isKey(identity.publicKey) || typeof identity.privateJwk !== "object" || identity.privateJwk === null) return null;
  return {
    identity: { publicKey: identity.publicKey, privateJwk: identity.privateJwk },
    devices: Array.isArray(value.devices) ? value.devices : [],
  };
}
