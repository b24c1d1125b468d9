// The photo exchange (media/exchange.ts) and the sync core meet here, one way: the core hands it
// photo frames and news of friends; the exchange asks the core, through PhotoHost, who may send
// and who may have a photo. Neither holds the other.
import type { Diagnostics } from "./diagnostics";
import type { PhotoOrigin, PhotoSource } from "./policy";

export type BlobFrame =
  | { t: "blob-get"; hash: string; from: number }
  | { t: "blob-info"; hash: string; size: number; mime: string }
  | { t: "blob-none"; hash: string; reason: string };

/** The part of a trusted link that photos travel on. */
export interface PhotoLink {
  send(frame: BlobFrame): boolean;
  sendBinary(message: ArrayBuffer): boolean;
  readonly buffered: number;
}

/** What the exchange may ask of the core. */
export interface PhotoHost {
  /** The open, trusted link to a friend, if any. */
  link(peer: string): PhotoLink | undefined;
  /** Where a photo can come from, by the posts that carry it; null if no post I hold does. */
  source(hash: string): PhotoSource | null;
  /** May ``peer`` have a photo of this origin (and kind, if known) from me (policy.mayServePhoto)? */
  mayServe(origin: PhotoOrigin, peer: string, kind?: "full" | "thumb"): boolean;
  /** May ``peer`` have one more photo request answered now (their budget)? */
  mayAsk(peer: string): boolean;
  /** Never let go of on its own: named by a standing post on my wall, or as a thumbnail by any. */
  kept(hash: string): boolean;
  /** The bytes of photos one friend's posts may keep on my wall. */
  readonly friendPhotoBytes: number;
  diagnostics: Diagnostics;
}

/** What the core tells the exchange. */
export interface PhotoPort {
  onFrame(peer: string, frame: BlobFrame): Promise<void> | void;
  onChunk(peer: string, message: ArrayBuffer): Promise<void>;
  onDrain(peer: string): void;
  trusted(peer: string): void;
  gone(peer: string): void;
  /** Photos of posts just stored: thumbnails always, full images where I keep a wall. */
  need(photos: { hash: string; keep: boolean }[]): void;
  /** Photos no standing post names any more: their bytes may go. */
  release(hashes: string[]): Promise<number>;
}
