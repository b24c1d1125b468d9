// The frame decoder's Worker: parses and checks frames, and verifies batch signatures, so that a
// catch-up of thousands of events leaves the page's main thread free (issue 14, bench/README.md).
import { decodeFrame } from "./decodeFrame";
import type { DecodeReply, DecodeRequest } from "./decoder";

declare const self: { onmessage: ((e: MessageEvent<DecodeRequest>) => void) | null; postMessage(reply: DecodeReply): void };

self.onmessage = (message) => {
  const { id, raw, batchKey, now } = message.data;
  decodeFrame(raw, batchKey, now).then(
    (decoded) => self.postMessage({ id, decoded }),
    (error: unknown) => self.postMessage({ id, decoded: { ok: false, code: "malformed", reason: `undecodable: ${String(error)}` } }),
  );
};
