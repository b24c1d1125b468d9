// Settings → Storage: how much room Peerwall has and what takes it, whether the browser keeps it
// for good, a warning before it is full and plain words once it is, the cap on friends'
// full-size photos, and freeing what friends' photos take.
import { useEffect, useState } from "preact/hooks";
import type { Persistence } from "../app/persistence";
import { isLow, type Space } from "../app/space";
import { PHOTO_CAPS } from "../media/eviction";
import type { StorageUse } from "../store/repository";
import type { WallUse } from "../store/spaceUse";
import type { Engine } from "../sync/engine";
import { CommandError } from "./CommandError";
import { ConfirmButton } from "./ConfirmButton";
import { useCommand } from "./useCommand";
import { useObservable, type Watched } from "./useObservable";
import { capWords, FULL_WORDS, freedWords, lowSpaceWords, sizeWords, spaceWords, storageWords, wallUseWords } from "./words";

/** What the space card reads and changes (the app wires it to the store and the photo exchange). */
export interface SpaceControls {
  watch: Watched<Space>;
  measure(): Promise<unknown>;
  /** Bytes of my own photos and of friends' photos kept here. */
  use(): Promise<StorageUse>;
  walls(): Promise<WallUse[]>;
  /** Deletes friends' photos kept here (never mine); resolves to the bytes freed. */
  freeCached(): Promise<number>;
  photoCap(): Promise<number>;
  /** Sets the cap and lets go of what is over it; resolves to the bytes freed. */
  setPhotoCap(bytes: number): Promise<number>;
}

export function SpaceCard({ engine, space, persistence }: { engine: Engine; space: SpaceControls; persistence: Watched<Persistence> }) {
  const now = useObservable(space.watch);
  const persisted = useObservable(persistence);
  const [use, setUse] = useState<StorageUse | null>(null);
  const [walls, setWalls] = useState<WallUse[] | null>(null);
  const [cap, setCap] = useState<number | null>(null);
  const [said, setSaid] = useState("");
  const [failed, setFailed] = useState("");
  const command = useCommand();
  const carried = engine.carrying().bytes;

  const refresh = async () => {
    try {
      const [u, w, c] = await Promise.all([space.use(), space.walls(), space.photoCap(), space.measure()]);
      setUse(u);
      setWalls(w);
      setCap(c);
      setFailed("");
    } catch {
      setFailed("Could not measure the space Peerwall takes.");
    }
  };
  useEffect(() => {
    void refresh();
  }, [space]);

  const left = now.usage !== null && now.quota !== null ? now.quota - now.usage : null;
  return (
    <div class="card-block settings-card space-card">
      <h2 id="space-heading">Storage</h2>
      {now.full ? (
        <p class="warning" role="alert">
          {FULL_WORDS}
        </p>
      ) : (
        isLow(now) && left !== null && <p class="warning">{lowSpaceWords(left)}</p>
      )}
      <p>{spaceWords(now)}</p>
      {now.usage !== null && now.quota !== null && now.quota > 0 && (
        <meter class="space-meter" min={0} max={now.quota} value={now.usage} low={now.quota * 0.8} high={now.quota * 0.9} optimum={0} aria-label="Space used" />
      )}
      {persisted === "persistent" ? (
        <p>
          <span class="dot ok" aria-hidden="true" /> This browser keeps your data even when it runs short of space.
        </p>
      ) : persisted === "asking" ? (
        <p class="help">Asking your browser to keep this data even when it runs short of space…</p>
      ) : (
        <p class="warning">Your browser may clear this data under storage pressure; keep a backup.</p>
      )}

      <h3>What takes the space</h3>
      {walls ? (
        <ul class="space-list" aria-label="Space by wall">
          {walls.map((w, i) => (
            <li key={w.wall}>
              <span class="space-what">{i === 0 ? "Your wall" : `@${w.wall}'s wall`}</span> <span class="space-size">{wallUseWords(w)}</span>
            </li>
          ))}
          <li>
            <span class="space-what">What you carry for friends</span> <span class="space-size">{sizeWords(carried)}</span>
          </li>
        </ul>
      ) : (
        <p class="help">{failed || "Measuring…"}</p>
      )}

      <div class="photo-space">
        <h3>Photos</h3>
        <p class="storage-use">{use ? storageWords(use) : failed || "Measuring…"}</p>
        <label class="cap-choice">
          Friends' full-size photos kept here{" "}
          <select
            value={cap === null ? "" : String(cap)}
            disabled={cap === null || command.busy}
            onChange={(e) => {
              const bytes = Number(e.currentTarget.value);
              void command.run(async () => {
                const freed = await space.setPhotoCap(bytes);
                setSaid(freed > 0 ? freedWords(freed) : "");
                await refresh();
              });
            }}
          >
            {PHOTO_CAPS.map((bytes) => (
              <option key={bytes} value={String(bytes)}>
                {capWords(bytes)}
              </option>
            ))}
          </select>
        </label>
        <p class="help">
          Over this, the ones you looked at least recently go first; thumbnails stay, and a full image comes back from your friends
          when you open it. Photos on your own wall never count against it.
        </p>
        <p class="help">
          Free space removes every friend's photo kept here, also those friends posted on your wall (they fetch again from their
          authors). Your own photos are never removed, because your friends fetch them from you.
        </p>
        <ConfirmButton
          label="Free space"
          question="Remove friends' photos from this browser?"
          confirm="Yes, free space"
          class="button quiet small"
          onConfirm={async () => {
            setSaid("");
            const freed = await space.freeCached();
            setSaid(freedWords(freed));
            await refresh();
          }}
        />
        <CommandError error={command.error} class="said error" />
        <p class="said ok" role="status">
          {said}
        </p>
      </div>
    </div>
  );
}
