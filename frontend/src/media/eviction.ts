// Which friends' full-size photos to let go when they take more than the person allows: the
// ones seen least recently first. Never a photo of my own wall (mine, or a friend's post on it:
// I serve those), never a thumbnail (small, and what a wall shows); a full image let go is
// fetched again from friends when someone opens it.
import type { BlobInfo } from "../store/db";

/** The default cap on friends' full-size photos kept in this browser. */
export const DEFAULT_PHOTO_CAP = 250 * 1024 * 1024;
/** The caps Settings offers; ``Infinity`` keeps everything. */
export const PHOTO_CAPS = [50, 100, 250, 500, 1000].map((mb) => mb * 1024 * 1024).concat(Infinity);

/** Friends' full-size photos this browser could let go. ``kept``: what the posts I hold protect. */
export function evictable(infos: BlobInfo[], kept: (hash: string) => boolean): BlobInfo[] {
  return infos.filter((info) => !info.mine && info.kind !== "thumb" && !kept(info.hash));
}

/** The hashes to delete so that friends' full-size photos take at most ``cap`` bytes. */
export function toEvict(infos: BlobInfo[], cap: number, kept: (hash: string) => boolean): string[] {
  const candidates = evictable(infos, kept);
  let total = candidates.reduce((sum, info) => sum + info.size, 0);
  if (total <= cap) return [];
  const lastSeen = (info: BlobInfo) => info.seenAt ?? info.storedAt;
  const oldestFirst = [...candidates].sort((a, b) => lastSeen(a) - lastSeen(b) || a.hash.localeCompare(b.hash));
  const victims: string[] = [];
  for (const info of oldestFirst) {
    if (total <= cap) break;
    victims.push(info.hash);
    total -= info.size;
  }
  return victims;
}
