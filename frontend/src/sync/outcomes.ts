// What a command did, or why it could not: codes the core decides on, and data for the words.
// The sentences people read are the UI's (ui/words.ts); the core is handed them as ``Words``.

export type Refusal =
  | { code: "not-a-handle" }
  | { code: "no-such-handle"; handle: string }
  | { code: "is-me" }
  | { code: "already-friends"; handle: string }
  | { code: "blocked"; handle: string }
  | { code: "not-your-friend"; handle: string }
  | { code: "no-such-post" }
  | { code: "post-deleted" }
  | { code: "nothing-to-delete" }
  | { code: "may-not-delete" }
  | { code: "only-the-owner" };

export type Done = { code: "request-sent"; handle: string } | { code: "now-friends"; handle: string };

export type Outcome = Refusal | Done;

/** Turns an outcome into a sentence for people. */
export type Words = (outcome: Outcome) => string;

/** A command that could not be done; ``outcome.code`` says why, ``message`` says it in words. */
export class Refused extends Error {
  constructor(
    readonly outcome: Refusal,
    words: Words,
  ) {
    super(words(outcome));
    this.name = "Refused";
  }
}

/** The refusals a wall's owner sends back over the wire (``nack``), and those that mean "later". */
export const NACK_CODES = ["no-such-post", "post-deleted", "nothing-to-delete", "may-not-delete", "only-the-owner", "over-quota"] as const;
export type NackCode = (typeof NACK_CODES)[number];

export function isNackCode(value: string): value is NackCode {
  return (NACK_CODES as readonly string[]).includes(value);
}

/** A refusal that only says "not now": the item stays in the outbox and is offered again later. */
export function isTemporary(code: NackCode): boolean {
  return code === "over-quota";
}
