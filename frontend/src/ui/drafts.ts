// What someone is writing on a wall, kept while they look elsewhere (Settings, to free space,
// say) and come back: the text, the photos picked with their previews, their preparation, and
// whether it is being posted. Every composer of the wall shows the one draft and hears its
// changes, so a photo prepared or a post landed while the view was away shows when it is back.
// In memory only: a reload starts afresh.
import type { PreparedPhoto } from "../media/image";
import type { Chosen } from "./PhotoPicker";

export class Draft {
  text = "";
  chosen: Chosen[] = [];
  /** Being posted: a second Post would write it twice. */
  posting = false;
  /** Each photo's preparation (null when it failed), by its id. */
  readonly jobs = new Map<number, Promise<PreparedPhoto | null>>();
  private readonly listeners = new Set<() => void>();

  update(change: Partial<Pick<Draft, "text" | "chosen" | "posting">>): void {
    Object.assign(this, change);
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get empty(): boolean {
    return !this.text && !this.chosen.length && !this.posting;
  }
}

const drafts = new Map<string, Draft>();

export function draftOf(wall: string): Draft {
  const key = wall.toLowerCase();
  let draft = drafts.get(key);
  if (!draft) drafts.set(key, (draft = new Draft()));
  return draft;
}

/** Forgets an empty draft (nothing typed, nothing picked, nothing being posted). */
export function forgetIfEmpty(wall: string): void {
  const key = wall.toLowerCase();
  if (drafts.get(key)?.empty) drafts.delete(key);
}
