import { describe, expect, it } from "vitest";
import { canonicalJson, fromBase64Url, toBase64Url } from "../src/crypto/encoding";
import { generateIdentity, loadIdentity, safetyNumber, verify } from "../src/crypto/identity";
import { checkShape, createEvent, LIMITS, verifyEvent } from "../src/sync/events";

async function identity() {
  const stored = await generateIdentity();
  return { stored, id: await loadIdentity(stored) };
}

describe("encoding", () => {
  it("round-trips base64url", () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
    expect(toBase64Url(bytes)).not.toMatch(/[+/=]/);
  });
  it("makes canonical JSON independent of key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: "x" } })).toBe(
      canonicalJson({ a: { c: "x", d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow();
  });
});

describe("signed events", () => {
  it("verify with the author's key and with nobody else's", async () => {
    const alice = await identity();
    const mallory = await identity();
    const event = await createEvent(alice.id, "alice", "bob", "post", { text: "hi bob" });
    expect(checkShape(event)).toBeNull();
    expect(await verifyEvent(event, alice.stored.publicKey)).toBe(true);
    expect(await verifyEvent(event, mallory.stored.publicKey)).toBe(false);
  });

  it("fail verification when anything signed is changed", async () => {
    const alice = await identity();
    const event = await createEvent(alice.id, "alice", "alice", "post", { text: "original" });
    const key = alice.stored.publicKey;
    expect(await verifyEvent({ ...event, body: { text: "changed" } }, key)).toBe(false);
    expect(await verifyEvent({ ...event, author: "bob" }, key)).toBe(false);
    expect(await verifyEvent({ ...event, wall: "carol" }, key)).toBe(false);
    expect(await verifyEvent({ ...event, ts: event.ts + 1 }, key)).toBe(false);
    // The owner's seq is not part of what the author signed.
    expect(await verifyEvent({ ...event, seq: 7 } as typeof event, key)).toBe(true);
  });

  it("never throw on garbage keys or signatures", async () => {
    expect(await verify("not a key", "m", "not a sig")).toBe(false);
    expect(await verify("A".repeat(43), "m", "B".repeat(86))).toBe(false);
  });

  it("refuse to create what the checks would refuse", async () => {
    const alice = await identity();
    await expect(createEvent(alice.id, "alice", "alice", "post", { text: "   " })).rejects.toThrow("empty post");
    await expect(
      createEvent(alice.id, "alice", "alice", "post", { text: "x".repeat(LIMITS.postText + 1) }),
    ).rejects.toThrow("too long");
  });
});

describe("checkShape", () => {
  const good = {
    id: "abcdefghijklmnop",
    wall: "alice",
    author: "bob",
    kind: "post",
    ts: 1_700_000_000_000,
    body: { text: "hello" },
    sig: "A".repeat(86),
  };
  it("accepts a well-formed event", () => expect(checkShape(good, 1_700_000_000_000)).toBeNull());
  it.each([
    ["unknown field", { ...good, extra: 1 }],
    ["html handle", { ...good, author: "<img src=x onerror=alert(1)>" }],
    ["unknown kind", { ...good, kind: "script" }],
    ["body with markup fields", { ...good, body: { text: "x", html: "<b>" } }],
    ["future timestamp", { ...good, ts: 1_700_000_000_000 + 2 * LIMITS.futureSkewMs }],
    ["non-integer seq", { ...good, seq: 1.5 }],
    ["string body", { ...good, body: "<script>alert(1)</script>" }],
    ["comment without post", { ...good, kind: "comment", body: { text: "x" } }],
    ["like with bad on", { ...good, kind: "like", body: { target: "abcdefghijk", on: "yes" } }],
    ["bad photo hash", { ...good, body: { text: "x", photos: [{ full: "../../etc/passwd", thumb: "a", mime: "image/png", w: 1, h: 1 }] } }],
    ["photo of an unknown type", { ...good, body: { text: "", photos: [{ full: "a".repeat(64), thumb: "b".repeat(64), mime: "text/html", w: 1, h: 1 }] } }],
    ["null", null],
    ["array", [good]],
  ])("refuses %s", (_name, value) => {
    expect(checkShape(value, 1_700_000_000_000)).not.toBeNull();
  });
});

describe("safety numbers", () => {
  it("are the same from both sides and differ for other keys", async () => {
    const [a, b, c] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
    const ab = await safetyNumber(a.publicKey, b.publicKey);
    expect(ab).toBe(await safetyNumber(b.publicKey, a.publicKey));
    expect(ab).not.toBe(await safetyNumber(a.publicKey, c.publicKey));
    expect(ab).toMatch(/^(\d{5} ){11}\d{5}$/);
  });
});
