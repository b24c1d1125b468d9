// How much room the browser gives Peerwall and whether it has run out: measured with
// navigator.storage.estimate(), and told by the store itself when a write did not fit (the
// estimate can be far off: on a small disk Chromium still reports a quota of a gigabyte).
import type { StorageFault } from "../store/faults";
import { Observable } from "./observable";

/** Warn when less than this is left, or less than ``LOW_SHARE`` of the quota. */
export const LOW_BYTES = 50 * 1024 * 1024;
export const LOW_SHARE = 0.1;

export interface Space {
  /** A write did not fit, and no room was made since. */
  full: boolean;
  /** Bytes used and allowed, as the browser estimates them (null until measured or when it cannot). */
  usage: number | null;
  quota: number | null;
}

/** Is the room left under the warning line? */
export function isLow(space: Pick<Space, "usage" | "quota">): boolean {
  if (space.usage === null || space.quota === null || space.quota <= 0) return false;
  const left = space.quota - space.usage;
  return left < LOW_BYTES || left < space.quota * LOW_SHARE;
}

export class SpaceWatch extends Observable<Space> {
  constructor(private readonly storage: Pick<StorageManager, "estimate"> | null = navigator.storage ?? null) {
    super({ full: false, usage: null, quota: null });
  }

  /** Measures again; the figures of the last measure stay when the browser cannot say. */
  async measure(): Promise<Space> {
    try {
      const estimate = await this.storage?.estimate();
      if (estimate) this.set({ ...this.get(), usage: estimate.usage ?? null, quota: estimate.quota ?? null });
    } catch {
      // An estimate is a nicety; the store's own faults still say when it is full.
    }
    return this.get();
  }

  /** The store met a fault (repository onFault): a full one makes Peerwall read-only for writes. */
  fault(fault: StorageFault): void {
    if (fault.code === "full" && !this.get().full) this.set({ ...this.get(), full: true });
    void this.measure();
  }

  /** Room was made (space freed, a write landed): writes may try again. */
  roomMade(): void {
    if (!this.get().full) return;
    this.set({ ...this.get(), full: false });
    void this.measure();
  }
}
