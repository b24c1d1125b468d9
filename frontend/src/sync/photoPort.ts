// Where the sync engine hands blob traffic: photos are fetched and served by media/exchange.ts,
// which the app plugs in here. The engine only checks frames and says who is connected.

export type BlobFrame =
  | { t: "blob-get"; hash: string; from: number }
  | { t: "blob-info"; hash: string; size: number; mime: string }
  | { t: "blob-none"; hash: string; reason: string };

/** A photo a newly stored post needs, and where it can come from (the wall's owner, the author). */
export interface PhotoNeed {
  hash: string;
  sources: string[];
  /** Kept for good, like my own photos: it is on my wall, and I serve my wall. */
  keep?: boolean;
}

export interface BlobPort {
  onFrame(peer: string, frame: BlobFrame): Promise<void> | void;
  onChunk(peer: string, message: ArrayBuffer): Promise<void>;
  onDrain(peer: string): void;
  onTrusted(peer: string): void;
  onGone(peer: string): void;
  /** Photos of posts just stored: thumbnails always, full images where I keep a wall. */
  need(photos: PhotoNeed[]): void;
}
