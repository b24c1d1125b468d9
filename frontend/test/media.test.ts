import { describe, expect, it } from "vitest";
import { Assembly, CHUNK_BYTES, chunksOf, decodeChunk, encodeChunk } from "../src/media/chunks";
import { bytesOfHex, hexOf, isHash, sha256Hex } from "../src/media/hash";

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

describe("hashing", () => {
  it("names bytes by SHA-256 in lowercase hex", async () => {
    expect(await sha256Hex(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(isHash("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")).toBe(false);
    const bytes = randomBytes(32);
    expect(bytesOfHex(hexOf(bytes))).toEqual(bytes);
  });
});

describe("chunks", () => {
  it("frame and unframe a chunk", () => {
    const hash = "ab".repeat(32);
    const data = randomBytes(1000);
    const chunk = decodeChunk(encodeChunk(hash, 123456789, data));
    expect(chunk).toEqual({ hash, offset: 123456789, data });
  });

  it("refuse malformed chunk messages", () => {
    expect(decodeChunk(new ArrayBuffer(10))).toBeNull();
    const bad = new Uint8Array(50);
    new DataView(bad.buffer).setFloat64(32, -1);
    expect(decodeChunk(bad.buffer)).toBeNull();
    new DataView(bad.buffer).setFloat64(32, 1.5);
    expect(decodeChunk(bad.buffer)).toBeNull();
  });

  it("reassemble a blob and verify it", async () => {
    const bytes = randomBytes(3 * CHUNK_BYTES + 17);
    const hash = await sha256Hex(bytes);
    const assembly = new Assembly(hash, bytes.length);
    let last;
    for (const message of chunksOf(hash, bytes)) last = await assembly.add(decodeChunk(message)!);
    expect(last).toEqual({ done: true, bytes });
  });

  it("resume from the last byte received after a broken link", async () => {
    const bytes = randomBytes(5 * CHUNK_BYTES);
    const hash = await sha256Hex(bytes);
    const assembly = new Assembly(hash, bytes.length);
    const first = [...chunksOf(hash, bytes)].slice(0, 2);
    for (const m of first) await assembly.add(decodeChunk(m)!);
    expect(assembly.received).toBe(2 * CHUNK_BYTES);
    // The link breaks; a chunk from the old stream arriving late is refused, not mixed in.
    expect(await assembly.add(decodeChunk(encodeChunk(hash, 4 * CHUNK_BYTES, bytes.subarray(0, 10)))!)).toHaveProperty("failed");
    let last;
    for (const m of chunksOf(hash, bytes, assembly.received)) last = await assembly.add(decodeChunk(m)!);
    expect(last).toEqual({ done: true, bytes });
  });

  it("refuse bytes that do not match their hash", async () => {
    const bytes = randomBytes(2 * CHUNK_BYTES);
    const hash = await sha256Hex(bytes);
    const forged = randomBytes(bytes.length);
    const assembly = new Assembly(hash, forged.length);
    let last;
    for (const m of chunksOf(hash, forged)) last = await assembly.add(decodeChunk(m)!);
    expect(last).toEqual({ failed: { code: "bad-hash", detail: "the bytes do not match their hash" } });
  });

  it("refuse chunks beyond the announced size or of another blob", async () => {
    const assembly = new Assembly("cd".repeat(32), 10);
    expect(await assembly.add({ hash: "cd".repeat(32), offset: 0, data: new Uint8Array(11) })).toHaveProperty("failed");
    expect(await assembly.add({ hash: "ef".repeat(32), offset: 0, data: new Uint8Array(1) })).toHaveProperty("failed");
  });
});
