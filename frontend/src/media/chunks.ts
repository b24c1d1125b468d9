// Blob transfer in chunks over a data channel: the binary framing of one chunk, and the
// receiving side's assembly, which can resume from where a broken link left off.
import { bytesOfHex, HASH_BYTES, hexOf, sha256Hex } from "./hash";

/** Well below Chromium's 256 KiB SCTP message limit, large enough to keep the channel busy. */
export const CHUNK_BYTES = 64 * 1024;
export const HEADER_BYTES = HASH_BYTES + 8;

export interface Chunk {
  hash: string;
  offset: number;
  data: Uint8Array;
}

/** One chunk as a binary message: the 32 hash bytes, the offset (float64), the data. */
export function encodeChunk(hash: string, offset: number, data: Uint8Array): ArrayBuffer {
  const message = new Uint8Array(HEADER_BYTES + data.length);
  message.set(bytesOfHex(hash), 0);
  new DataView(message.buffer).setFloat64(HASH_BYTES, offset);
  message.set(data, HEADER_BYTES);
  return message.buffer;
}

/** Null for anything that is not a well-formed chunk message. */
export function decodeChunk(message: ArrayBuffer): Chunk | null {
  if (!(message instanceof ArrayBuffer) || message.byteLength < HEADER_BYTES) return null;
  const bytes = new Uint8Array(message);
  const offset = new DataView(message).getFloat64(HASH_BYTES);
  if (!Number.isSafeInteger(offset) || offset < 0) return null;
  return { hash: hexOf(bytes.subarray(0, HASH_BYTES)), offset, data: bytes.subarray(HEADER_BYTES) };
}

/** The chunks of ``bytes`` from ``from`` on. */
export function* chunksOf(hash: string, bytes: Uint8Array, from = 0, size = CHUNK_BYTES): Generator<ArrayBuffer> {
  for (let offset = from; offset < bytes.length; offset += size) {
    yield encodeChunk(hash, offset, bytes.subarray(offset, Math.min(bytes.length, offset + size)));
  }
}

/** Why a chunk was refused: ``bad-hash`` means the whole blob was junk; the others, ask again. */
export type AssemblyFailure = { code: "other-blob" | "out-of-order" | "beyond-size" | "bad-hash"; detail: string };

export type Assembled =
  | { done: false; received: number }
  | { done: true; bytes: Uint8Array<ArrayBuffer> }
  | { failed: AssemblyFailure };

/**
 * Collects one blob's chunks in order. A chunk that does not continue where the last one
 * ended is refused, so the sender is asked again from ``received``: that is the resume point.
 */
export class Assembly {
  private readonly buffer: Uint8Array<ArrayBuffer>;
  received = 0;

  constructor(
    readonly hash: string,
    readonly size: number,
  ) {
    this.buffer = new Uint8Array(size);
  }

  async add(chunk: Chunk): Promise<Assembled> {
    if (chunk.hash !== this.hash) return { failed: { code: "other-blob", detail: "chunk of another blob" } };
    if (chunk.offset !== this.received)
      return { failed: { code: "out-of-order", detail: `chunk at ${chunk.offset}, expected ${this.received}` } };
    if (chunk.offset + chunk.data.length > this.size)
      return { failed: { code: "beyond-size", detail: "chunk beyond the announced size" } };
    this.buffer.set(chunk.data, chunk.offset);
    this.received += chunk.data.length;
    if (this.received < this.size) return { done: false, received: this.received };
    // Verified before anyone stores or shows it: bytes that do not match their name are junk.
    if ((await sha256Hex(this.buffer)) !== this.hash)
      return { failed: { code: "bad-hash", detail: "the bytes do not match their hash" } };
    return { done: true, bytes: this.buffer };
  }

  get progress(): number {
    return this.size ? this.received / this.size : 1;
  }
}
