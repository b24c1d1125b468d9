// Seeds signed posts onto a wall, straight into the browser's IndexedDB, with the app's own code:
// the same identity, the same event signing, the same place signing (`ordered`: seq, dev and the
// owner's osig, as the app writes its own posts), the same store. Called again, it goes on from
// the wall's highest seq, so one wall can grow from 10,000 posts to 50,000. Bundled by the benchmark at run time
// (esbuild --bundle --format=iife) and injected into the page of the wall's owner, where it
// defines window.peerwallSeed. The app keeps the same database open meanwhile; its engine sees
// the new events when the page is reloaded.
import { loadIdentity } from "../../frontend/src/crypto/identity";
import { openDatabase, type StoredEvent } from "../../frontend/src/store/db";
import { Repository } from "../../frontend/src/store/repository";
import { createEvent, ordered } from "../../frontend/src/sync/events";

export interface SeedResult {
  count: number;
  firstSeq: number;
  lastSeq: number;
  /** Sum of JSON.stringify(event) over the events written, as stored (with seq, dev and osig). */
  jsonBytes: number;
  signMs: number;
  writeMs: number;
}

declare global {
  interface Window {
    peerwallSeed: (handle: string, count: number) => Promise<SeedResult>;
  }
}

const BATCH = 500;
const FILLER =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore " +
  "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation.";

/** About 150 characters, different for every post. */
function text(i: number): string {
  const head = `bench post ${i} `;
  return head + FILLER.slice(0, 150 - head.length);
}

window.peerwallSeed = async (handle: string, count: number): Promise<SeedResult> => {
  const repo = new Repository(await openDatabase(handle));
  try {
    const stored = await repo.identity();
    if (!stored) throw new Error(`no identity in peerwall-${handle.toLowerCase()}: has @${handle} opened the app?`);
    const identity = await loadIdentity(stored);
    // Written in this browser's own stream of the wall, as its app would place them.
    const device = (await repo.meta<string>("device")) ?? "";
    let seq = 0;
    for (const e of await repo.events())
      if (e.wall === handle && (e.dev ?? "") === device && e.seq !== undefined && e.seq > seq) seq = e.seq;
    const firstSeq = seq + 1;
    let jsonBytes = 0;
    let signMs = 0;
    let writeMs = 0;
    for (let start = 0; start < count; start += BATCH) {
      const t0 = performance.now();
      const size = Math.min(BATCH, count - start);
      const base = seq;
      // Signed by the author, then placed (seq, dev) and the place signed by the owner: what the app
      // itself stores for a post on its own wall, so that it has nothing left to sign at start-up.
      const events: StoredEvent[] = await Promise.all(
        Array.from({ length: size }, async (_, k) =>
          ordered(identity, await createEvent(identity, handle, handle, "post", { text: text(start + k) }), base + k + 1, device || undefined),
        ),
      );
      seq = base + size;
      for (const e of events) jsonBytes += JSON.stringify(e).length;
      const t1 = performance.now();
      await repo.write({ events });
      signMs += t1 - t0;
      writeMs += performance.now() - t1;
    }
    return { count, firstSeq, lastSeq: seq, jsonBytes, signMs, writeMs };
  } finally {
    repo.close();
  }
};
