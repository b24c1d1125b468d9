// Where frames are decoded: in a Worker when the browser has one (large frames only: a small
// frame is cheaper to decode here than to post), else inline. Frames are handed over as they
// arrive, so the Worker decodes the next batches while the engine stores the last one; the
// session takes the results in arrival order.
import { type Decoded, decodeFrame } from "./decodeFrame";

export interface DecodeRequest {
  id: number;
  raw: string;
  batchKey: string | undefined;
  now: number;
}

export interface DecodeReply {
  id: number;
  decoded: Decoded;
}

export interface FrameDecoder {
  decode(raw: unknown, batchKey: string | undefined, now: number): Promise<Decoded>;
  close(): void;
}

/** Frames shorter than this are decoded on the spot: posting them would cost more. */
export const WORKER_MIN_CHARS = 2_048;

export const inlineDecoder: FrameDecoder = {
  decode: decodeFrame,
  close() {},
};

export class WorkerDecoder implements FrameDecoder {
  private readonly pending = new Map<number, { request: DecodeRequest; resolve: (decoded: Decoded) => void }>();
  private nextId = 1;
  private failed = false;

  constructor(private readonly worker: Worker) {
    worker.onmessage = (message: MessageEvent<DecodeReply>) => {
      const { id, decoded } = message.data;
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      waiting?.resolve(decoded);
    };
    // A worker that cannot run (its script failed to load, say): decode here from then on,
    // the frames it held included, so none is lost.
    worker.onerror = () => {
      this.failed = true;
      for (const { request, resolve } of this.pending.values()) void decodeFrame(request.raw, request.batchKey, request.now).then(resolve);
      this.pending.clear();
    };
  }

  decode(raw: unknown, batchKey: string | undefined, now: number): Promise<Decoded> {
    if (this.failed || typeof raw !== "string" || raw.length < WORKER_MIN_CHARS) return decodeFrame(raw, batchKey, now);
    const id = this.nextId++;
    const request: DecodeRequest = { id, raw, batchKey, now };
    return new Promise((resolve) => {
      this.pending.set(id, { request, resolve });
      this.worker.postMessage(request);
    });
  }

  close(): void {
    this.worker.terminate();
    // The engine stopped: what was still decoding is of no one's use.
    this.pending.clear();
  }
}
