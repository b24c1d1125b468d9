// What the views see of my devices and of a link being offered: plain data, no behaviour.

/** One browser of mine, as my device list knows it. */
export interface DeviceView {
  /** The device part of its peer id (``handle-device``): 1–8 of a-z0-9. */
  id: string;
  /** What I called it ("Laptop"); a default from the browser when I never named it. */
  name: string;
  /** When one of my devices last heard from it; undefined for this device or never. */
  lastSeen?: number;
  online: boolean;
  /** This browser. */
  current: boolean;
}

/** A one-time code this device shows so that a new browser can link to it. */
export interface LinkOffer {
  code: string;
  expiresAt: number;
  status: "waiting" | "linked" | "expired" | "spent";
  /** The new device's id once linked. */
  device?: string;
}

/** The choices a browser with no identity for the handle offers after log-in. */
export interface SetupActions {
  /** Links to another device of mine with the code it shows; rejects with plain words. */
  link(code: string): Promise<void>;
  /** Brings back my key from the recovery phrase; rejects with plain words (the typo named). */
  restore(phrase: string): Promise<void>;
  /** Imports a backup file; resolves to a sentence, rejects with plain words. */
  importBackup(file: File): Promise<string>;
  /** A new key: friends will be asked to confirm it. */
  startFresh(): Promise<void>;
}
