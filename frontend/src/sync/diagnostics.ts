// What peers sent that was dropped, and why: a code to act on, and a detail for the log.

export type DropCode =
  | "frame-too-large"
  | "malformed"
  | "impostor"
  | "out-of-turn"
  | "no-proof"
  | "bad-proof"
  | "untrusted"
  | "key-changed"
  | "dead-link"
  | "not-owner"
  | "wrong-wall"
  | "bad-signature"
  | "blocked-author"
  | "over-quota"
  | "repeated-sync"
  | "photo"
  | "flood"
  | "handler-error";

export interface Dropped {
  at: number;
  from: string;
  code: DropCode;
  detail: string;
}

const MAX_DROPPED = 200;

export class Diagnostics {
  readonly dropped: Dropped[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly log: (message: string) => void = (message) => console.warn(`[peerwall] ${message}`),
  ) {}

  /** Records a frame or message from ``from`` that was dropped; the last 200 are kept. */
  drop(from: string, code: DropCode, detail: string = code): void {
    this.log(`dropped a frame from @${from}: ${detail}`);
    this.dropped.push({ at: this.now(), from, code, detail });
    if (this.dropped.length > MAX_DROPPED) this.dropped.shift();
  }

  /** Something worth a line in the log that dropped nothing (a refusal from a friend). */
  note(message: string): void {
    this.log(message);
  }
}
