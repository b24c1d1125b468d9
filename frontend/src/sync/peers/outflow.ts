// A catch-up's flow to one peer. Batches go out only while the peer has handled all but a window
// of them (it says so with ``credit``), so a fast sender never buries a slow receiver under frames
// it must hold; and one wall is served after another, not all at once.
import { Serial } from "../serial";

/** ``events`` frames a peer may hold unhandled: about this many × 14 KB in flight. */
export const SEND_WINDOW = 24;
/** A peer that gives no credit this long (a browser from before credit) gets another window. */
export const CREDIT_WAIT_MS = 2_000;
/** The receiver gives credit back every this many frames handled (and at a catch-up's end). */
export const CREDIT_EVERY = 4;

export class Outflow {
  /** Serving one wall's catch-up after another. */
  readonly queue = new Serial();
  private outstanding = 0;
  private wake?: () => void;

  constructor(
    private readonly window = SEND_WINDOW,
    private readonly waitMs = CREDIT_WAIT_MS,
  ) {}

  /** Resolves once another frame may go: there is room in the window, or the wait ran out. */
  room(): Promise<void> {
    if (this.outstanding < this.window) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.outstanding = 0;
        this.go();
      }, this.waitMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  sent(): void {
    this.outstanding++;
  }

  /** The peer handled ``n`` more frames. More credit than frames sent counts for nothing. */
  credit(n: number): void {
    this.outstanding = Math.max(0, this.outstanding - n);
    if (this.outstanding < this.window) this.go();
  }

  /** The session ended: whoever waits goes on (and finds the link closed). */
  release(): void {
    this.outstanding = 0;
    this.go();
  }

  private go(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
