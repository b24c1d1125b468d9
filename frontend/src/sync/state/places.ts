// The places I hold of one wall, stream by stream: each of the owner's devices numbers its own
// stream from 1, so a wall's cursor is how far each stream runs without a gap.
import type { Cursor } from "../events";

interface Stream {
  held: Set<number>;
  /** How far it runs from 1 without a gap. */
  run: number;
  max: number;
}

export class WallPlaces {
  private readonly streams = new Map<string, Stream>();

  add(stream: string, seq: number): void {
    let s = this.streams.get(stream);
    if (!s) this.streams.set(stream, (s = { held: new Set(), run: 0, max: 0 }));
    s.held.add(seq);
    if (seq > s.max) s.max = seq;
    while (s.held.has(s.run + 1)) s.run++;
  }

  has(stream: string, seq: number): boolean {
    return this.streams.get(stream)?.held.has(seq) ?? false;
  }

  /** Each stream's run: where a catch-up starts. */
  cursor(): Cursor {
    const out: Cursor = {};
    for (const [name, s] of this.streams) out[name] = s.run;
    return out;
  }

  run(stream: string): number {
    return this.streams.get(stream)?.run ?? 0;
  }

  /** The highest place held in a stream (beyond its run when a carrier left a gap). */
  max(stream: string): number {
    return this.streams.get(stream)?.max ?? 0;
  }

  /** How many places run without a gap, all streams together: "how far" as one number. */
  count(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.run;
    return n;
  }

  /** All streams' highest places together (above count() when some stream has a gap). */
  top(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.max;
    return n;
  }
}

/** Is the place (stream, seq) beyond ``cursor``? A stream the cursor does not name starts at 0. */
export function beyond(cursor: Cursor, stream: string, seq: number): boolean {
  return seq > (cursor[stream] ?? 0);
}

/** The lower of two cursors, stream by stream (a stream either lacks counts as 0). */
export function lowest(a: Cursor, b: Cursor): Cursor {
  const out: Cursor = {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) out[name] = Math.min(a[name] ?? 0, b[name] ?? 0);
  return out;
}
