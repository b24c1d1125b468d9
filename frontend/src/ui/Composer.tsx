// The composer: "New post", "Post", "Add photo". Ctrl/Cmd+Enter posts.
// Chosen photos show at once and are prepared in the background; posting stores them with the
// post that names them, in one transaction.
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { photoProblem, type PreparedPhoto, preparePhoto } from "../media/image";
import type { BlobRecord } from "../store/db";
import type { Engine } from "../sync/engine";
import { LIMITS, type PhotoRef } from "../sync/events";
import { Avatar } from "./Handle";
import { Icon } from "./icons";
import { type Chosen, PhotoButton, PhotoPreviews } from "./PhotoPicker";
import { draftOf, forgetIfEmpty } from "./drafts";
import { messageOf, useCommand } from "./useCommand";
import type { Photos } from "./usePhoto";
import { plural, remaining } from "./words";
import { CommandError } from "./CommandError";

let nextId = 1;

export function Composer({ engine, photos, wall }: { engine: Engine; photos: Photos; wall: string }) {
  // The draft outlives this view: what was typed and picked is still here after a visit to Settings.
  const draft = useRef(draftOf(wall)).current;
  const [, redraw] = useState(0);
  useEffect(() => draft.subscribe(() => redraw((n) => n + 1)), [draft]);
  const { text, chosen } = draft;
  const [problems, setProblems] = useState<string[]>([]);
  const command = useCommand();
  const box = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const jobs = draft.jobs;
  const alive = useRef(true);
  const setText = (update: string | ((now: string) => string)) =>
    draft.update({ text: typeof update === "function" ? update(draft.text) : update });
  const setChosen = (update: (now: Chosen[]) => Chosen[]) => draft.update({ chosen: update(draft.chosen) });
  const busy = command.busy || draft.posting;
  const id = useId();
  const mine = wall === engine.me;
  const left = remaining(text.length, LIMITS.postText, 500);
  const ready = chosen.filter((c) => c.prepared).length;
  const preparing = chosen.length - ready;
  const canPost = (text.trim().length > 0 || ready > 0) && (left === null || left >= 0) && !busy;

  useEffect(
    () => () => {
      // The previews stay with the draft; they are let go when the photos are posted or removed.
      alive.current = false;
      forgetIfEmpty(wall);
    },
    [],
  );

  const drop = (ids: number[]) => {
    const gone = new Set(ids);
    for (const c of draft.chosen) if (gone.has(c.id)) URL.revokeObjectURL(c.preview);
    for (const i of ids) jobs.delete(i);
    setChosen((list) => list.filter((c) => !gone.has(c.id)));
  };

  const pick = (files: File[]) => {
    const said: string[] = [];
    const added: Chosen[] = [];
    let room = LIMITS.photos - draft.chosen.length;
    let skipped = 0;
    for (const file of files) {
      const problem = photoProblem(file);
      if (problem) {
        said.push(problem);
        continue;
      }
      if (room <= 0) {
        skipped++;
        continue;
      }
      room--;
      const item: Chosen = { id: nextId++, file, preview: URL.createObjectURL(file) };
      added.push(item);
      const job = preparePhoto(file).then(
        (prepared) => {
          setChosen((list) => list.map((c) => (c.id === item.id ? { ...c, prepared } : c)));
          return prepared;
        },
        (error: unknown) => {
          if (jobs.has(item.id)) {
            drop([item.id]);
            if (alive.current) setProblems((now) => [...now, messageOf(error)]);
          }
          return null;
        },
      );
      jobs.set(item.id, job);
    }
    if (skipped) {
      said.push(`A post can have at most ${LIMITS.photos} photos; ${plural(skipped, "photo")} ${skipped === 1 ? "was" : "were"} left out.`);
    }
    setProblems(said);
    if (added.length) setChosen((list) => [...list, ...added]);
  };

  const submit = async () => {
    if (!canPost) return;
    const posted = text;
    const taken = draft.chosen;
    draft.update({ posting: true });
    const ok = await command.run(async () => {
      // Photos still being prepared are waited for; one that failed has said why and is left out.
      const prepared = (await Promise.all(taken.map((c) => jobs.get(c.id) ?? null))).filter(
        (p): p is PreparedPhoto => p !== null,
      );
      if (!posted.trim() && !prepared.length) throw new Error("There is nothing left to post.");
      const refs: PhotoRef[] = [];
      const blobs: BlobRecord[] = [];
      for (const p of prepared) {
        const full = await photos.mineRecord(p.full.bytes, p.full.mime);
        const thumb = await photos.mineRecord(p.thumb.bytes, p.thumb.mime);
        blobs.push(full, thumb);
        refs.push({ full: full.hash, thumb: thumb.hash, mime: p.full.mime, w: p.full.w, h: p.full.h });
      }
      // The post and its photos land in one transaction: a full disk or a closed tab leaves
      // all of it or none of it.
      await engine.post(wall, posted, refs.length ? refs : undefined, blobs);
      photos.adopt(blobs.map((b) => b.hash));
    });
    draft.update({ posting: false });
    if (ok) {
      // Whatever was typed or chosen while it was being posted stays.
      setText((now) => (now === posted ? "" : now));
      drop(taken.map((c) => c.id));
      if (alive.current) {
        setProblems([]);
        box.current?.focus();
      }
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
      <PhotoPreviews
        chosen={chosen}
        disabled={busy}
        onRemove={(which) => {
          drop([which]);
          setProblems([]);
          fileInput.current?.focus();
        }}
      />
      {problems.length > 0 && (
        <div class="error composer-problems" role="alert">
          {problems.map((p, i) => (
            <p key={i}>{p}</p>
          ))}
        </div>
      )}
      <CommandError error={command.error} />
      <div class="composer-bar">
        <PhotoButton id={`${id}-photo`} inputRef={fileInput} onPick={pick} />
        <span class="composer-end">
          {preparing > 0 && (
            <span class="counter" role="status">
              Preparing {plural(preparing, "photo")}…
            </span>
          )}
          {left !== null && (
            <span id={`${id}-count`} class={`counter${left < 0 ? " over" : ""}`} aria-live="polite">
              {left < 0 ? `${-left} characters too many` : `${left} characters left`}
            </span>
          )}
          <button type="submit" class="button" disabled={!canPost} aria-busy={busy || undefined}>
            <Icon name="send" />
            Post
          </button>
        </span>
      </div>
    </form>
  );
}
