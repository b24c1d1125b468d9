// Seeds one post with one photo onto a wall, straight into the browser's IndexedDB, with the app's
// own code: the same store (Repository.saveBlob), the same hashing (sha256Hex), the same event
// signing (createEvent). Bundled by bench/photo_bench.py at run time (esbuild --bundle
// --format=iife) and injected into the page of the wall's owner, where it defines
// window.peerwallSeedPhoto. The app keeps the same database open meanwhile; its engine sees the
// new post (and may serve its photo) once the page is reloaded.
//
// The full-size "photo" is `fullBytes` random bytes after a JPEG's first three bytes, labelled
// image/jpeg: the receiver checks that magic (media/sniff.ts), not whether the rest decodes (the
// lightbox shows a broken image afterwards). The
// thumbnail is a real JPEG, drawn on an OffscreenCanvas, so the wall shows a tile to click.
import { loadIdentity } from "../../frontend/src/crypto/identity";
import { sha256Hex } from "../../frontend/src/media/hash";
import { openDatabase } from "../../frontend/src/store/db";
import { Repository } from "../../frontend/src/store/repository";
import { createEvent, type PhotoRef } from "../../frontend/src/sync/events";

export interface PhotoSeedResult {
  id: string;
  seq: number;
  full: string;
  thumb: string;
  fullBytes: number;
  thumbBytes: number;
  /** Random bytes made, hashed (both blobs), stored (both blobs), post signed and stored. */
  makeMs: number;
  hashMs: number;
  storeBlobsMs: number;
  postMs: number;
}

declare global {
  interface Window {
    peerwallSeedPhoto: (handle: string, fullBytes: number, text: string) => Promise<PhotoSeedResult>;
  }
}

/** getRandomValues fills at most 65,536 bytes a call. */
function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A 320x240 JPEG with a random hue and a label: a real image, a few kB. */
async function thumbnail(label: string): Promise<Uint8Array<ArrayBuffer>> {
  const canvas = new OffscreenCanvas(320, 240);
  const g = canvas.getContext("2d");
  if (!g) throw new Error("no 2d context on an OffscreenCanvas");
  const hue = Math.floor(Math.random() * 360);
  const gradient = g.createLinearGradient(0, 0, 320, 240);
  gradient.addColorStop(0, `hsl(${hue} 70% 55%)`);
  gradient.addColorStop(1, `hsl(${(hue + 120) % 360} 70% 35%)`);
  g.fillStyle = gradient;
  g.fillRect(0, 0, 320, 240);
  g.fillStyle = "white";
  g.font = "bold 40px sans-serif";
  g.textAlign = "center";
  g.fillText(label, 160, 135);
  const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
  return new Uint8Array(await blob.arrayBuffer());
}

window.peerwallSeedPhoto = async (handle: string, fullBytes: number, text: string): Promise<PhotoSeedResult> => {
  const repo = new Repository(await openDatabase(handle));
  try {
    const stored = await repo.identity();
    if (!stored) throw new Error(`no identity in peerwall-${handle.toLowerCase()}: has @${handle} opened the app?`);
    const identity = await loadIdentity(stored);

    const t0 = performance.now();
    const full = randomBytes(fullBytes);
    full.set([0xff, 0xd8, 0xff]);
    const thumb = await thumbnail(text.slice(-8));
    const t1 = performance.now();
    const [fullHash, thumbHash] = await Promise.all([sha256Hex(full), sha256Hex(thumb)]);
    const t2 = performance.now();
    const now = Date.now();
    await repo.saveBlob({ hash: thumbHash, bytes: thumb.buffer, mime: "image/jpeg", size: thumb.length, mine: true, storedAt: now });
    await repo.saveBlob({ hash: fullHash, bytes: full.buffer, mime: "image/jpeg", size: full.length, mine: true, storedAt: now });
    const t3 = performance.now();

    let seq = 0;
    for (const e of await repo.events()) if (e.wall === handle && e.seq !== undefined && e.seq > seq) seq = e.seq;
    const photo: PhotoRef = { full: fullHash, thumb: thumbHash, mime: "image/jpeg", w: 2048, h: 1536 };
    const event = await createEvent(identity, handle, handle, "post", { text, photos: [photo] });
    await repo.write({ events: [{ ...event, seq: seq + 1 }] });
    const t4 = performance.now();
    return {
      id: event.id,
      seq: seq + 1,
      full: fullHash,
      thumb: thumbHash,
      fullBytes: full.length,
      thumbBytes: thumb.length,
      makeMs: t1 - t0,
      hashMs: t2 - t1,
      storeBlobsMs: t3 - t2,
      postMs: t4 - t3,
    };
  } finally {
    repo.close();
  }
};
