// What I am sending to friends right now: "Sending photo 2 of 3 to @bob — 40%", with a bar.
// Under a post for its photos, or (without ``refs``) every transfer, as in Settings.
import type { PhotoRef } from "../sync/events";
import type { Photos } from "./usePhoto";
import { uploadLabel, uploadWords } from "./words";

export function Uploads({ photos, refs }: { photos: Photos; refs?: readonly PhotoRef[] }) {
  const lines = [];
  for (const upload of photos.uploads()) {
    let index = 0;
    let count = 1;
    let preview = false;
    if (refs) {
      index = refs.findIndex((r) => r.full === upload.hash || r.thumb === upload.hash);
      if (index < 0) continue;
      count = refs.length;
      preview = refs[index]!.thumb === upload.hash;
    }
    lines.push({
      key: `${upload.peer} ${upload.hash}`,
      label: uploadLabel(upload.peer, index, count, preview),
      words: uploadWords(upload.peer, index, count, preview, upload.sent, upload.size),
      upload,
    });
  }
  if (!lines.length) return null;
  return (
    <ul class="uploads">
      {lines.map(({ key, label, words, upload }) => (
        <li key={key}>
          <span>{words}</span>
          <progress value={upload.sent} max={Math.max(1, upload.size)} aria-label={label} />
        </li>
      ))}
    </ul>
  );
}
