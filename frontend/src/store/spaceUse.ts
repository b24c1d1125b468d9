// What takes the space in this browser, wall by wall: the events (about as many bytes as their
// JSON) and the photos fetched for each wall. Settings shows it so a person can see what to free.
import type { BlobInfo, StoredEvent } from "./db";

export interface WallUse {
  /** The wall's owner as the events spell it. */
  wall: string;
  events: number;
  eventBytes: number;
  photoBytes: number;
}

/** Each wall's share, mine first, then the largest first. */
export function wallsUse(me: string, events: Iterable<StoredEvent>, infos: Iterable<BlobInfo>): WallUse[] {
  const byWall = new Map<string, WallUse>();
  const entry = (wall: string) => {
    const key = wall.toLowerCase();
    let use = byWall.get(key);
    if (!use) byWall.set(key, (use = { wall, events: 0, eventBytes: 0, photoBytes: 0 }));
    return use;
  };
  entry(me);
  for (const e of events) {
    const use = entry(e.wall);
    use.events++;
    use.eventBytes += JSON.stringify(e).length;
  }
  // My own photos have no origin wall; a friend's photo on my wall (``by``) is my wall's too.
  for (const info of infos) entry(info.by || !info.wall ? me : info.wall).photoBytes += info.size;
  const mine = me.toLowerCase();
  return [...byWall.entries()]
    .sort(([a, x], [b, y]) => Number(b === mine) - Number(a === mine) || y.eventBytes + y.photoBytes - (x.eventBytes + x.photoBytes))
    .map(([, use]) => use);
}
