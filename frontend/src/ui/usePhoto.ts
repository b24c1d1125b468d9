// A photo as the views see it: shown (an object URL), on its way, waiting for a friend, or failed.
import { useCallback, useEffect, useReducer, useState } from "preact/hooks";
import type { BlobExchange } from "../media/exchange";
import { photoProblemWords } from "./words";

/** What the views need of the photo exchange (the app passes its BlobExchange). */
export type Photos = Pick<BlobExchange, "mineRecord" | "adopt" | "url" | "status" | "show" | "retry" | "uploads" | "isStored" | "subscribe">;

export type PhotoState =
  | { kind: "shown"; url: string }
  /** Looking in this browser, or just asked a friend: nothing to say yet. */
  | { kind: "checking" }
  /** ``size`` is 0 until the sender has announced it. */
  | { kind: "fetching"; from: string; received: number; size: number }
  | { kind: "waiting"; reason: string }
  | { kind: "failed"; reason: string };

/** Re-renders the calling view whenever a photo's progress changes. */
export function usePhotoProgress(photos: Photos): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => photos.subscribe(() => bump(undefined)), [photos]);
}

/**
 * The photo ``hash``: its object URL once it is in this browser. With ``fetch``, a photo that is
 * not here is asked for from the friends who have it; ``retry`` asks again after a failure.
 */
export function usePhoto(photos: Photos, hash: string | undefined, fetch: boolean): { state: PhotoState; retry: () => void } {
  usePhotoProgress(photos);
  const status = hash ? photos.status(hash) : ({ state: "unknown" } as const);
  const stored = status.state === "stored";
  const [found, setFound] = useState<{ hash: string; url: string | null; nobody: boolean } | null>(null);

  // Runs again when the photo arrives, and when it was forgotten (space freed): its old URL is gone.
  useEffect(() => {
    if (!hash) return;
    let live = true;
    const look = async () => {
      const here = await photos.isStored(hash);
      const url = here ? await photos.url(hash) : null;
      const asked = !url && fetch ? await photos.show(hash) : true;
      if (live) setFound({ hash, url, nobody: !asked });
    };
    look().catch(() => live && setFound({ hash, url: null, nobody: false }));
    return () => {
      live = false;
    };
  }, [photos, hash, stored, fetch]);

  const retry = useCallback(() => {
    if (hash) void photos.retry(hash);
  }, [photos, hash]);

  return { state: stateOf(status, found?.hash === hash ? found : null), retry };
}

function stateOf(status: ReturnType<Photos["status"]>, found: { url: string | null; nobody: boolean } | null): PhotoState {
  if (found?.url) return { kind: "shown", url: found.url };
  switch (status.state) {
    case "fetching":
      return { kind: "fetching", from: status.from, received: status.received, size: status.size };
    case "waiting":
      return { kind: "waiting", reason: photoProblemWords(status.problem) };
    case "failed":
      return { kind: "failed", reason: photoProblemWords(status.problem) };
    default:
      // Not asked for (yet): looked for here and nobody to ask means it cannot come.
      if (found?.nobody && status.state === "unknown") return { kind: "waiting", reason: photoProblemWords({ code: "nobody-has-it" }) };
      return { kind: "checking" };
  }
}
