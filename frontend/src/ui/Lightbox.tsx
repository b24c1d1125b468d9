// A post's photos at full size, one at a time, in a modal dialog: Escape or "Close" closes it,
// the arrow keys or "Previous" / "Next" move between photos, Tab stays inside. A full image that
// is not here yet is fetched, with the thumbnail scaled up meanwhile.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { Engine } from "../sync/engine";
import type { PhotoRef } from "../sync/events";
import { Icon } from "./icons";
import { type Photos, usePhoto } from "./usePhoto";
import { fullSizeWords, photoAlt } from "./words";

interface Props {
  engine: Engine;
  photos: Photos;
  refs: readonly PhotoRef[];
  author: string;
  start: number;
  onClose: () => void;
}

const FOCUSABLE = "button:not([disabled]), [href], input, textarea, select, [tabindex]:not([tabindex='-1'])";

export function Lightbox({ engine, photos, refs, author, start, onClose }: Props) {
  const count = refs.length;
  const [index, setIndex] = useState(Math.min(Math.max(0, start), count - 1));
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef<HTMLButtonElement>(null);
  const titleId = useId();

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    close.current?.focus();
    document.documentElement.classList.add("pw-modal-open");
    return () => {
      document.documentElement.classList.remove("pw-modal-open");
      if (d?.open) d.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const move = (step: number) => setIndex((i) => (i + step + count) % count);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      onClose();
    } else if (e.key === "ArrowLeft" && count > 1) {
      e.preventDefault();
      move(-1);
    } else if (e.key === "ArrowRight" && count > 1) {
      e.preventDefault();
      move(1);
    } else if (e.key === "Tab" && dialog.current) {
      // Keep Tab inside the dialog, also past its ends (a modal dialog alone lets it reach the browser).
      const items = [...dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
      if (!items.length) return;
      const first = items[0]!;
      const last = items[items.length - 1]!;
      const at = document.activeElement;
      if (e.shiftKey && (at === first || !dialog.current.contains(at))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (at === last || !dialog.current.contains(at))) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  const photo = refs[index]!;
  return (
    <dialog
      ref={dialog}
      class="lightbox"
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      // Closed some other way (the browser's own close request): the view follows.
      onClose={onClose}
    >
      <div class="lightbox-bar">
        <h2 id={titleId} class="lightbox-title">
          Photo {index + 1} of {count}
        </h2>
        <span class="lightbox-by">by @{author}</span>
        <button type="button" ref={close} class="lightbox-close" onClick={onClose}>
          <Icon name="x" />
          Close
        </button>
      </div>
      <div
        class="lightbox-stage"
        onClick={(e) => {
          // A click beside the photo closes, as on any photo viewer.
          if (e.target === e.currentTarget) onClose();
        }}
      >
        <FullPhoto key={index} engine={engine} photos={photos} photo={photo} alt={photoAlt(index, count, author)} />
        {count > 1 && (
          <>
            <button type="button" class="lightbox-nav prev" onClick={() => move(-1)}>
              <Icon name="left" />
              <span class="visually-hidden">Previous</span>
            </button>
            <button type="button" class="lightbox-nav next" onClick={() => move(1)}>
              <Icon name="right" />
              <span class="visually-hidden">Next</span>
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}

function FullPhoto({ engine, photos, photo, alt }: { engine: Engine; photos: Photos; photo: PhotoRef; alt: string }) {
  const full = usePhoto(photos, photo.full, true);
  const thumb = usePhoto(photos, photo.thumb, false);
  if (full.state.kind === "shown") {
    return <img class="lightbox-img" src={full.state.url} alt={alt} width={photo.w} height={photo.h} />;
  }
  const state = full.state;
  let status;
  switch (state.kind) {
    case "fetching": {
      const known = state.size > 0;
      status = (
        <>
          <progress value={known ? state.received : undefined} max={known ? state.size : undefined} aria-label="Loading full size" />
          <span>{fullSizeWords(state.received, state.size)}</span>
        </>
      );
      break;
    }
    case "waiting":
      status = <span role="status">Full size not here yet: {state.reason}</span>;
      break;
    case "failed":
      status = (
        <>
          <span role="alert">The full size could not be fetched: {state.reason}</span>
          <button type="button" class="button small" onClick={full.retry}>
            Try again
          </button>
        </>
      );
      break;
    default:
      status = <span>Loading full size…</span>;
  }
  return (
    <>
      {thumb.state.kind === "shown" ? (
        <img class="lightbox-img preview" src={thumb.state.url} alt={alt} width={photo.w} height={photo.h} />
      ) : (
        <span class="lightbox-img lightbox-empty" aria-hidden="true">
          <Icon name="image" />
        </span>
      )}
      <div class="lightbox-status">{status}</div>
    </>
  );
}
