// The photos of a post: one large, two to four in a grid, more behind a "+N" on the fourth.
// Each tile is the thumbnail once it is here, else why it is not (never a broken image);
// a shown thumbnail opens the lightbox.
import type { Engine } from "../sync/engine";
import type { PhotoRef } from "../sync/events";
import { Icon } from "./icons";
import { type Photos, usePhoto } from "./usePhoto";
import { percent, photoAlt, photoName, plural } from "./words";

const SHOWN = 4;

interface Props {
  engine: Engine;
  photos: Photos;
  refs: readonly PhotoRef[];
  author: string;
  onOpen: (index: number) => void;
}

export function PhotoGrid({ engine, photos, refs, author, onOpen }: Props) {
  const count = refs.length;
  const layout = count === 1 ? "one" : count === 2 ? "two" : count === 3 ? "three" : "four";
  const tiles = refs.slice(0, SHOWN);
  return (
    <ul class={`photo-grid ${layout}`} aria-label={plural(count, "photo")}>
      {tiles.map((photo, index) => (
        <li key={`${index}-${photo.thumb}`}>
          <PhotoTile
            engine={engine}
            photos={photos}
            photo={photo}
            index={index}
            count={count}
            author={author}
            more={index === SHOWN - 1 ? count - SHOWN : 0}
            large={count === 1}
            onOpen={onOpen}
          />
        </li>
      ))}
    </ul>
  );
}

interface TileProps {
  engine: Engine;
  photos: Photos;
  photo: PhotoRef;
  index: number;
  count: number;
  author: string;
  /** Photos after this one that have no tile. */
  more: number;
  /** The only photo of its post: shown large, so its full size is used when it is already here. */
  large: boolean;
  onOpen: (index: number) => void;
}

/** A single photo keeps its shape, within limits: very tall or wide ones are cropped a little. */
function singleShape(photo: PhotoRef): Record<string, string> {
  const ratio = Math.min(2, Math.max(0.8, photo.w / photo.h));
  return { aspectRatio: String(ratio) };
}

function PhotoTile({ engine, photos, photo, index, count, author, more, large, onOpen }: TileProps) {
  const thumb = usePhoto(photos, photo.thumb, true);
  const full = usePhoto(photos, large ? photo.full : undefined, false);
  const alt = photoAlt(index, count, author);
  const shape = large ? singleShape(photo) : undefined;
  const moreBadge = more > 0 && (
    <span class="photo-more" aria-hidden="true">
      +{more}
    </span>
  );

  const state = thumb.state;
  if (state.kind === "shown") {
    const src = full.state.kind === "shown" ? full.state.url : state.url;
    return (
      <button
        type="button"
        class="photo-tile"
        style={shape}
        aria-label={more > 0 ? `${alt}, and ${plural(more, "more photo")}` : undefined}
        onClick={() => onOpen(index)}
      >
        <img src={src} alt={alt} width={photo.w} height={photo.h} decoding="async" />
        {moreBadge}
      </button>
    );
  }

  const name = photoName(index, count).toLowerCase();
  let body;
  switch (state.kind) {
    case "fetching": {
      const known = state.size > 0;
      body = (
        <>
          <progress value={known ? state.received : undefined} max={known ? state.size : undefined} aria-label={`Loading ${name}`} />
          <span>Loading photo…{known ? ` ${percent(state.received, state.size)}%` : ""}</span>
        </>
      );
      break;
    }
    case "waiting":
      body = (
        <>
          <Icon name="clock" />
          <span>Photo not here yet: {state.reason}</span>
        </>
      );
      break;
    case "failed":
      body = (
        <>
          <Icon name="alert" />
          <span>This photo could not be fetched: {state.reason}</span>
          <button type="button" class="button small" onClick={thumb.retry}>
            Try again
          </button>
        </>
      );
      break;
    default:
      body = <span class="visually-hidden">Loading {name}…</span>;
  }
  return (
    <div class={`photo-tile placeholder${state.kind === "failed" ? " failed" : ""}`} style={shape}>
      <span class="photo-state">{body}</span>
      {moreBadge}
    </div>
  );
}
