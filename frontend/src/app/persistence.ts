// Asks the browser to keep Peerwall's store even when space runs short, without making anyone
// wait: Firefox answers persist() only after its prompt is answered (and never, in some
// contexts), so the app renders at once and Settings shows the answer when it comes.
import { Observable } from "./observable";

/** "asking" until the browser answers; "best-effort" when it may clear the store. */
export type Persistence = "persistent" | "asking" | "best-effort";

export function askToPersist(storage: StorageManager | null = navigator.storage ?? null): Observable<Persistence> {
  const state = new Observable<Persistence>("asking");
  void (async () => {
    if (!storage?.persist) return state.set("best-effort");
    // Already granted (the usual case after the first visit): no prompt, no wait.
    if (await storage.persisted?.().catch(() => false)) return state.set("persistent");
    state.set((await storage.persist().catch(() => false)) ? "persistent" : "best-effort");
  })();
  return state;
}
