// The composer: "New post", "Post", "Add photo". Ctrl/Cmd+Enter posts.
import { useId, useRef, useState } from "preact/hooks";
import { LIMITS } from "../sync/events";
import type { Engine } from "../sync/engine";
import { Avatar } from "./Handle";
import { Icon } from "./icons";
import { PhotoButton, PhotoPreviews } from "./PhotoPicker";
import { useCommand } from "./useCommand";
import { remaining } from "./words";

export function Composer({ engine, wall }: { engine: Engine; wall: string }) {
  const [text, setText] = useState("");
  const [photos, setPhotos] = useState<File[]>([]);
  const command = useCommand();
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const mine = wall === engine.me;
  const left = remaining(text.length, LIMITS.postText, 500);
  const canPost = text.trim().length > 0 && (left === null || left >= 0) && !command.busy;

  const submit = async () => {
    if (!canPost) return;
    const posted = text;
    const ok = await command.run(() => engine.post(wall, posted));
    if (ok) {
      // Whatever was typed while it was being posted stays.
      setText((now) => (now === posted ? "" : now));
      setPhotos([]);
      box.current?.focus();
    }
  };

  return (
    <form
      class="composer card-block"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div class="composer-row">
        <Avatar handle={engine.me} />
        <label class="visually-hidden" for={`${id}-text`}>
          New post
        </label>
        <textarea
          id={`${id}-text`}
          ref={box}
          rows={3}
          value={text}
          placeholder={mine ? "What's on your mind?" : `Write something to @${wall}…`}
          aria-describedby={left !== null ? `${id}-count` : undefined}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (command.error) command.clear();
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void submit();
            }
          }}
        />
      </div>
      <PhotoPreviews files={photos} onRemove={(i) => setPhotos(photos.filter((_, j) => j !== i))} />
      {command.error && (
        <p class="error" role="alert">
          {command.error}
        </p>
      )}
      <div class="composer-bar">
        <PhotoButton id={`${id}-photo`} onPick={(files) => setPhotos([...photos, ...files].slice(0, LIMITS.photos))} />
        <span class="composer-end">
          {left !== null && (
            <span id={`${id}-count`} class={`counter${left < 0 ? " over" : ""}`} aria-live="polite">
              {left < 0 ? `${-left} characters too many` : `${left} characters left`}
            </span>
          )}
          <button type="submit" class="button" disabled={!canPost} aria-busy={command.busy || undefined}>
            <Icon name="send" />
            Post
          </button>
        </span>
      </div>
    </form>
  );
}
