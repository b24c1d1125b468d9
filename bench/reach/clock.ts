// Simulated time for the reach simulation: setTimeout, setInterval and Date.now run on a
// virtual clock, so a week passes in minutes. Real asynchronous work (WebCrypto's signatures)
// still runs for real: the clock waits until none is in flight before it moves on.

interface Timer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
  every?: number;
  cancelled?: boolean;
}

const realSetImmediate = setImmediate;
const tick = () => new Promise<void>((resolve) => realSetImmediate(resolve));

export class VirtualClock {
  now: number;
  private heap: Timer[] = [];
  private timers = new Map<number, Timer>();
  private nextId = 1;
  private seq = 0;
  /** WebCrypto calls not answered yet. */
  inFlight = 0;
  fired = 0;

  constructor(start: number) {
    this.now = start;
  }

  /** Replaces the global timers and Date.now, and counts WebCrypto's calls in flight. */
  install(): void {
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => this.add(() => fn(...args), ms);
    g.clearTimeout = (id: number) => this.cancel(id);
    g.setInterval = (fn: (...a: unknown[]) => void, ms = 0, ...args: unknown[]) => this.add(() => fn(...args), ms, Math.max(1, ms));
    g.clearInterval = (id: number) => this.cancel(id);
    Date.now = () => this.now;
    const subtle = crypto.subtle as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    for (const name of ["sign", "verify", "digest", "importKey", "exportKey", "generateKey"]) {
      const real = subtle[name]!.bind(crypto.subtle);
      subtle[name] = async (...args: unknown[]) => {
        this.inFlight++;
        try {
          return await real(...args);
        } finally {
          this.inFlight--;
        }
      };
    }
  }

  private add(fn: () => void, ms: number, every?: number): number {
    // Whole milliseconds, as the real clock's Date.now gives.
    const at = this.now + Math.max(0, Math.round(Number(ms) || 0));
    const timer: Timer = { id: this.nextId++, at, seq: this.seq++, fn, every };
    this.timers.set(timer.id, timer);
    this.push(timer);
    return timer.id;
  }

  private cancel(id: number | undefined): void {
    if (id === undefined) return;
    const timer = this.timers.get(id);
    if (timer) timer.cancelled = true;
    this.timers.delete(id);
  }

  /** Lets real work finish: microtasks, WebCrypto's answers, and what they set off. */
  async settle(): Promise<void> {
    await tick();
    for (let spins = 0; this.inFlight > 0 && spins < 1_000_000; spins++) await tick();
  }

  /** Runs every timer due until ``end``, in order, letting real work settle between them. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.heap[0];
      if (!next || next.at > end) break;
      this.pop();
      if (next.cancelled) continue;
      this.now = Math.max(this.now, next.at);
      if (next.every) {
        next.at = this.now + next.every;
        next.seq = this.seq++;
        this.push(next);
      } else {
        this.timers.delete(next.id);
      }
      this.fired++;
      next.fn();
    }
    this.now = Math.max(this.now, end);
  }

  // A binary heap ordered by (at, seq): the earliest timer first, ties in the order they were set.
  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
