// What someone is writing on a wall, kept while they look elsewhere (Settings, to free space,
// say) and come back: the text, the photos picked with their previews, and their preparation.
// In memory only: a reload starts afresh.
import type { PreparedPhoto } from "../media/image";
import type { Chosen } from "./PhotoPicker";

export interface Draft {
  text: string;
  chosen: Chosen[];
  /** Each photo's preparation (null when it failed), by its id. */
  jobs: Map<number, Promise<PreparedPhoto | null>>;
}

const drafts = new Map<string, Draft>();

export function draftOf(wall: string): Draft {
  const key = wall.toLowerCase();
  let draft = drafts.get(key);
  if (!draft) drafts.set(key, (draft = { text: "", chosen: [], jobs: new Map() }));
  return draft;
}

/** Forgets an empty draft (nothing typed, nothing picked). */
export function forgetIfEmpty(wall: string): void {
  const key = wall.toLowerCase();
  const draft = drafts.get(key);
  if (draft && !draft.text && !draft.chosen.length) drafts.delete(key);
}
