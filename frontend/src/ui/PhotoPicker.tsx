// "Add photo": a file input dressed as a button, with previews of what was chosen.
// Photos travel in the next release; until then the previews only show what will be possible.
import { useEffect, useMemo } from "preact/hooks";
import { Icon } from "./icons";

export const PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/gif";

export function PhotoButton({ id, onPick }: { id: string; onPick: (files: File[]) => void }) {
  return (
    <label class="button quiet small file-button" for={id}>
      <Icon name="camera" />
      <span>Add photo</span>
      <input
        id={id}
        class="visually-hidden"
        type="file"
        accept={PHOTO_TYPES}
        multiple
        onChange={(e) => {
          const input = e.currentTarget;
          const files = [...(input.files ?? [])].filter((f) => PHOTO_TYPES.split(",").includes(f.type));
          input.value = "";
          if (files.length) onPick(files);
        }}
      />
    </label>
  );
}

export function PhotoPreviews({ files, onRemove }: { files: File[]; onRemove: (index: number) => void }) {
  const urls = useMemo(() => files.map((f) => URL.createObjectURL(f)), [files]);
  useEffect(() => () => urls.forEach((u) => URL.revokeObjectURL(u)), [urls]);
  if (!files.length) return null;
  return (
    <div class="previews">
      <ul class="preview-list">
        {urls.map((url, i) => (
          <li key={url}>
            <img src={url} alt={files[i]?.name ?? "chosen photo"} />
            <button type="button" class="preview-remove" aria-label={`Remove ${files[i]?.name ?? "photo"}`} onClick={() => onRemove(i)}>
              <Icon name="x" />
            </button>
          </li>
        ))}
      </ul>
      <p class="help">Photos arrive in the next release: for now only the text is posted.</p>
    </div>
  );
}
