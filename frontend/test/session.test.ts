// One session on its own, over a simulated link: the handshake, its timeout, frames out of turn,
// a dead link, and the one way it ends.
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateIdentity, type Identity, loadIdentity } from "../src/crypto/identity";
import { inlineDecoder } from "../src/sync/decode/decoder";
import { Diagnostics } from "../src/sync/diagnostics";
import type { Frame } from "../src/sync/frames";
import { PROBE_MS, PROOF_TIMEOUT_MS, Session, type CloseReason } from "../src/sync/peers/session";
import { SimLink } from "./sim";

interface Side {
  session: Session;
  proven: number;
  frames: Frame[];
  closed: CloseReason[];
  diagnostics: Diagnostics;
}

function side(link: SimLink, me: string, identity: Identity): Side {
  const out: Side = { proven: 0, frames: [], closed: [], decoder: inlineDecoder,
    diagnostics: new Diagnostics(Date.now, () => {}) } as unknown as Side;
  out.session = new Session(link, {
    me,
    identity,
    now: Date.now,
    diagnostics: out.diagnostics,
    decoder: inlineDecoder,
    on: {
      proven: () => void out.proven++,
      link: () => {},
      frame: (_s, frame) => void out.frames.push(frame),
      binary: () => {},
      drain: () => {},
      closed: (_s, reason) => void out.closed.push(reason),
    },
  });
  out.session.start();
  return out;
}

function pair(a: string, b: string): [SimLink, SimLink] {
  const ab = new SimLink(b, true);
  const ba = new SimLink(a, false);
  ab.partner = ba;
  ba.partner = ab;
  return [ab, ba];
}

function open(...links: SimLink[]): void {
  for (const l of links) {
    l.open = true;
    l.onOpen();
  }
}

/** Moves the fake clock on by ``ms`` in small steps, letting real work (WebCrypto) finish between. */
const settle = async (ms = 50) => {
  for (let i = 0; i < 40; i++) {
    await vi.advanceTimersByTimeAsync(ms / 40);
    await new Promise((resolve) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(() => resolve(undefined)));
  }
};

/** Moves the fake clock in small steps until ``done`` holds (WebCrypto answers in real time). */
async function settleUntil(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !done(); i++) await settle(5);
  if (!done()) throw new Error(`never happened: ${what}`);
}

/** Timers are the test's; setImmediate stays real, so WebCrypto's answers can come in. */
const fakeTimers = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });

afterEach(() => void vi.useRealTimers());

describe("Session", () => {
  it("two honest sides prove each other, and only then frames pass", async () => {
    fakeTimers();
    const [ab, ba] = pair("alice", "bob");
    const alice = side(ab, "alice", await loadIdentity(await generateIdentity()));
    const bob = side(ba, "bob", await loadIdentity(await generateIdentity()));
    open(ab, ba);
    await settleUntil(() => alice.proven + bob.proven === 2, "both sides proven");
    expect([alice.proven, bob.proven]).toEqual([1, 1]);
    expect(alice.session.hello?.handle).toBe("bob");
    alice.session.send({ t: "friend-request" });
    await settle();
    expect(bob.frames).toEqual([{ t: "friend-request" }]);
    // The proof timer was cleared: nothing closes the session later.
    await settle(PROOF_TIMEOUT_MS * 2);
    expect(alice.closed).toEqual([]);
  });

  it("a peer that never proves itself is closed once the timeout passes, and only once", async () => {
    fakeTimers();
    const [ab, ba] = pair("alice", "mallory");
    const alice = side(ab, "alice", await loadIdentity(await generateIdentity()));
    open(ab, ba); // mallory's end says nothing
    ba.send({ t: "friend-request" });
    await settle();
    expect(alice.frames).toEqual([]);
    expect(alice.diagnostics.dropped.map((d) => d.code)).toEqual(["out-of-turn"]);
    await settle(PROOF_TIMEOUT_MS);
    expect(alice.closed).toEqual(["no-proof"]);
    expect(ab.closed).toBe(true);
    alice.session.close("stopped");
    ab.onClose();
    expect(alice.closed).toEqual(["no-proof"]);
  });

  it("a hello in another's name is a lie, and a proof that does not verify ends the session", async () => {
    fakeTimers();
    const mallory = await loadIdentity(await generateIdentity());
    const [ab, ba] = pair("alice", "mallory");
    const alice = side(ab, "alice", await loadIdentity(await generateIdentity()));
    open(ab, ba);
    ba.send({ t: "hello", v: 1, handle: "carol", key: mallory.publicKey, nonce: "n".repeat(20) });
    await settle();
    expect(alice.diagnostics.dropped.map((d) => d.code)).toEqual(["impostor"]);
    ba.send({ t: "hello", v: 1, handle: "mallory", key: mallory.publicKey, nonce: "n".repeat(20) });
    ba.send({ t: "proof", sig: "A".repeat(86) });
    await settleUntil(() => alice.closed.length > 0, "the bad proof to end the session");
    expect(alice.proven).toBe(0);
    expect(alice.closed).toEqual(["bad-proof"]);
  });

  it("a link that stops answering pings is closed as dead", async () => {
    fakeTimers();
    const [ab, ba] = pair("alice", "bob");
    const alice = side(ab, "alice", await loadIdentity(await generateIdentity()));
    const bob = side(ba, "bob", await loadIdentity(await generateIdentity()));
    open(ab, ba);
    // Both proofs checked (with real WebCrypto, outside the fake clock): a ping waits behind a proof.
    await settleUntil(() => alice.proven === 1 && bob.proven === 1, "alice and bob to prove each other");
    alice.session.probe();
    await settle(PROBE_MS + 10);
    expect(alice.closed).toEqual([]); // bob answered
    ba.onFrame = () => {}; // bob's side goes deaf
    alice.session.probe();
    await settle(PROBE_MS + 10);
    expect(alice.closed).toEqual(["dead-link"]);
  });
});
