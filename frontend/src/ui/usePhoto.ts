// A photo as the views see it: shown (an object URL), on its way, waiting for a friend, or failed.
import { useCallback, useEffect, useState } from "preact/hooks";
import type { BlobExchange } from "../media/exchange";
import type { Engine } from "../sync/engine";

/** What the views need of the photo exchange (the app passes its BlobExchange). */
export type Photos = Pick<BlobExchange, "storeMine" | "url" | "status" | "want" | "retry" | "uploads" | "isStored">;

export type PhotoState =
  | { kind: "shown"; url: string }
  /** Looking in this browser, or just asked a friend: nothing to say yet. */
  | { kind: "checking" }
  /** ``size`` is 0 until the sender has announced it. */
  | { kind: "fetching"; from: string; received: number; size: number }
  | { kind: "waiting"; reason: string }
  | { kind: "failed"; reason: string };

/**
 * The photo ``hash``: its object URL once it is in this browser. With ``fetch``, a photo that is
 * not here is asked for from the friends who have it; ``retry`` asks again after a failure.
 */
export function usePhoto(
  photos: Photos,
  engine: Engine,
  hash: string | undefined,
  fetch: boolean,
): { state: PhotoState; retry: () => void } {
  const status = hash ? photos.status(hash) : ({ state: "unknown" } as const);
  const stored = status.state === "stored";
  const [found, setFound] = useState<{ hash: string; url: string | null } | null>(null);

  // Runs again when the photo arrives, and when it was forgotten (space freed): its old URL is gone.
  useEffect(() => {
    if (!hash) return;
    let live = true;
    const look = async () => {
      const here = await photos.isStored(hash);
      const url = here ? await photos.url(hash) : null;
      if (!live) return;
      setFound({ hash, url });
      if (!url && fetch) {
        const sources = engine.photoSources(hash);
        if (sources.length) await photos.want(hash, sources);
      }
    };
    look().catch(() => live && setFound({ hash, url: null }));
    return () => {
      live = false;
    };
  }, [photos, engine, hash, stored, fetch]);

  const retry = useCallback(() => {
    if (hash) void photos.retry(hash, engine.photoSources(hash));
  }, [photos, engine, hash]);

  return { state: stateOf(status, found?.hash === hash ? found : null, fetch && !!hash && engine.photoSources(hash).length === 0), retry };
}

function stateOf(
  status: ReturnType<Photos["status"]>,
  found: { url: string | null } | null,
  nobodyHasIt: boolean,
): PhotoState {
  if (found?.url) return { kind: "shown", url: found.url };
  switch (status.state) {
    case "fetching":
      return { kind: "fetching", from: status.from, received: status.received, size: status.size };
    case "waiting":
      return { kind: "waiting", reason: status.reason };
    case "failed":
      return { kind: "failed", reason: status.reason };
    default:
      // Not asked for (yet): looked for here and nobody to ask means it cannot come.
      if (found && status.state === "unknown" && nobodyHasIt) return { kind: "waiting", reason: "none of your friends has it" };
      return { kind: "checking" };
  }
}
