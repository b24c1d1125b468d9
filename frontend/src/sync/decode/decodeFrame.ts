// What a link delivered, made a checked frame: JSON text parsed, its size and shape checked, and a
// catch-up batch's owner signature verified. Nothing here touches the page, so the same code runs
// in a Worker (worker.ts), off the page's main thread, or inline where there is no Worker.
import { verify } from "../../crypto/identity";
import { batchContent } from "../events";
import { type Frame, MAX_FRAME_BYTES, parseFrame } from "../frames";

export type Decoded = { ok: true; frame: Frame } | { ok: false; code: "frame-too-large" | "malformed"; reason: string };

const tooLarge: Decoded = { ok: false, code: "frame-too-large", reason: "frame too large" };

/**
 * ``raw``: JSON text as the link carried it (or a value a test link handed over).
 * ``batchKey``: the key a batch's ``bsig`` is checked with (the peer's, as it said hello); when it
 * verifies, the frame says so in ``batchKey``, and the engine still compares that key with the one
 * it pinned for the wall's owner.
 */
export async function decodeFrame(raw: unknown, batchKey: string | undefined, now: number): Promise<Decoded> {
  let value = raw;
  if (typeof raw === "string") {
    if (raw.length > MAX_FRAME_BYTES) return tooLarge;
    try {
      value = JSON.parse(raw);
    } catch {
      // left as the string: parseFrame refuses it as "not an object"
    }
  } else if ((JSON.stringify(raw)?.length ?? 0) > MAX_FRAME_BYTES) {
    return tooLarge;
  }
  const parsed = parseFrame(value, now);
  if (!parsed.ok) return { ok: false, code: "malformed", reason: parsed.reason };
  const frame = parsed.frame;
  if (frame.t === "events" && frame.bsig && batchKey && (await verify(batchKey, batchContent(frame.wall, frame.events), frame.bsig)))
    frame.batchKey = batchKey;
  return { ok: true, frame };
}
