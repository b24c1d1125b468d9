// "Add photo": a file input dressed as a button, and previews of the chosen photos, each with
// "Remove <name>" and, while it is being prepared (turned upright, downscaled), a spinner.
import type { Ref } from "preact";
import type { PreparedPhoto } from "../media/image";
import { ACCEPTED_TYPES } from "../media/image";
import { Icon } from "./icons";

export const PHOTO_TYPES = ACCEPTED_TYPES.join(",");

/** A photo chosen for a post: its preview at once, its prepared bytes a moment later. */
export interface Chosen {
  id: number;
  file: File;
  /** An object URL of the file itself. */
  preview: string;
  prepared?: PreparedPhoto;
}

export function PhotoButton({
  id,
  onPick,
  inputRef,
}: {
  id: string;
  onPick: (files: File[]) => void;
  inputRef?: Ref<HTMLInputElement>;
}) {
  return (
    <label class="button quiet small file-button" for={id}>
      <Icon name="camera" />
      <span>Add photo</span>
      <input
        id={id}
        ref={inputRef}
        class="visually-hidden"
        type="file"
        accept={PHOTO_TYPES}
        multiple
        onChange={(e) => {
          const input = e.currentTarget;
          // Every file goes on: the composer says why one it cannot take is left out.
          const files = [...(input.files ?? [])];
          input.value = "";
          if (files.length) onPick(files);
        }}
      />
    </label>
  );
}

export function PhotoPreviews({
  chosen,
  disabled,
  onRemove,
}: {
  chosen: readonly Chosen[];
  disabled: boolean;
  onRemove: (id: number) => void;
}) {
  if (!chosen.length) return null;
  return (
    <div class="previews">
      <ul class="preview-list" aria-label="Photos to post">
        {chosen.map((c) => (
          <li key={c.id} class={c.prepared ? undefined : "preparing"}>
            <img src={c.preview} alt={c.file.name} />
            {!c.prepared && (
              <span class="preview-busy">
                <span class="spinner" aria-hidden="true" />
                Preparing…
              </span>
            )}
            <button
              type="button"
              class="preview-remove"
              aria-label={`Remove ${c.file.name}`}
              disabled={disabled}
              onClick={() => onRemove(c.id)}
            >
              <Icon name="x" />
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
