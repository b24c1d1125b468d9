// One live tab per browser and handle (Web Locks): two tabs writing one IndexedDB and both
// holding the broker connection would fight. Another tab may take over.

export type TabLock = { release: () => void; lost: Promise<void> };

function lockName(handle: string): string {
  return `peerwall-live-${handle.toLowerCase()}`;
}

/**
 * Holds the lock until released or stolen. Resolves null at once if another tab holds it
 * and ``steal`` is false.
 */
export function acquireTab(handle: string, steal: boolean): Promise<TabLock | null> {
  if (!("locks" in navigator)) {
    // Very old browsers: run without the guard rather than not at all.
    return Promise.resolve({ release: () => {}, lost: new Promise<void>(() => {}) });
  }
  return new Promise((resolve) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let signalLost!: () => void;
    const lost = new Promise<void>((r) => (signalLost = r));
    const options: LockOptions = steal ? { steal: true } : { ifAvailable: true };
    navigator.locks
      .request(lockName(handle), options, async (lock) => {
        if (!lock) {
          resolve(null);
          return;
        }
        resolve({ release, lost });
        await held;
      })
      // A stolen lock rejects the request: this tab is no longer the live one.
      .catch(() => signalLost());
  });
}
