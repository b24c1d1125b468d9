// Settings: backup (export, import), keys and safety numbers, storage, the outbox, the account.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Persistence } from "../app/persistence";
import type { Engine, FriendView } from "../sync/engine";
import { ConfirmButton } from "./ConfirmButton";
import { DevicesCard } from "./DevicesCard";
import { RecoveryCard } from "./RecoveryCard";
import { type SpaceControls, SpaceCard } from "./SpaceCard";
import { useSafetyNumber } from "./safety";
import { Uploads } from "./Uploads";
import { useCommand } from "./useCommand";
import type { Photos } from "./usePhoto";
import { carryingWords, outboxSentence, plural, sizeWords } from "./words";
import { CommandError } from "./CommandError";
import { useDesktopNoticesSetting } from "./useDesktopNotices";
import { useObservable, type Watched } from "./useObservable";

export interface Backup {
  exportFile(): Promise<{ blob: Blob; name: string }>;
  importFile(file: File): Promise<string>;
  /** A new key for this browser (the page reloads with it). */
  startFresh?(): Promise<void>;
}

interface Props {
  engine: Engine;
  photos: Photos;
  space: SpaceControls;
  persistence: Watched<Persistence>;
  backup: Backup;
}

export function Settings({ engine, photos, space, persistence, backup }: Props) {
  const friends = engine.friends().filter((f) => f.state === "accepted");
  const pending = engine.pendingCount();
  return (
    <section class="settings-view" aria-labelledby="view-heading">
      <header class="view-head">
        <h1 id="view-heading" tabIndex={-1}>
          Settings
        </h1>
        <p class="wall-sub">Everything Peerwall knows about you lives in this browser. Here is how to keep it safe.</p>
      </header>

      <BackupCard backup={backup} />

      <DevicesCard devices={engine} handle={engine.me} startFresh={backup.startFresh} />

      <RecoveryCard recovery={engine} />

      <SpaceCard engine={engine} space={space} persistence={persistence} />

      <div class="card-block settings-card">
        <h2>Sending</h2>
        <p>{outboxSentence(pending)}</p>
        <Uploads photos={photos} />
      </div>

      <DesktopNoticesCard />

      <CarryingCard engine={engine} />

      <div class="card-block settings-card">
        <h2>Keys and safety numbers</h2>
        <p class="help">
          Your browser signs everything you write with its own key. To be sure you talk to the right @friend, read your
          safety number to each other; it is the same on both sides.
        </p>
        <p class="key-line">
          Your public key: <code class="key">{engine.publicKey}</code>
        </p>
        {friends.length === 0 ? (
          <p class="empty">Safety numbers appear here once you have friends.</p>
        ) : (
          <div class="table-wrap">
            <table class="safety-table">
              <thead>
                <tr>
                  <th scope="col">Friend</th>
                  <th scope="col">Safety number</th>
                </tr>
              </thead>
              <tbody>
                {friends.map((f) => (
                  <SafetyRow key={f.handle} engine={engine} friend={f} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>

      <div class="card-block settings-card">
        <h2>Account</h2>
        <p>
          Signed in as <strong>@{engine.me}</strong>. Deleting your account removes your handle from the server; what is in
          this browser stays until you clear it.
        </p>
        <p>
          <a class="button quiet danger-text" href="/accounts/delete/">
            Delete account
          </a>
        </p>
      </div>
    </section>
  );
}

function DesktopNoticesCard() {
  const setting = useDesktopNoticesSetting();
  const blocked = setting.permission === "denied";
  return (
    <div class="card-block settings-card">
      <h2>Notifications</h2>
      {setting.permission === "unsupported" ? (
        <p class="help">This browser cannot show desktop notifications; the Notifications page still lists everything.</p>
      ) : (
        <>
          <label class="switch">
            <input type="checkbox" checked={setting.on && !blocked} disabled={blocked} onChange={(e) => void setting.set(e.currentTarget.checked)} />
            Desktop notifications while Peerwall is in the background
          </label>
          <p class="help">
            {blocked
              ? "Your browser blocks notifications for this site; allow them in the browser's site settings to turn this on."
              : "They say only who did what (\u201c@bob commented on your post\u201d), never what was written."}
          </p>
        </>
      )}
    </div>
  );
}

/** What I carry for friends who are never online with the walls' owners, and how much I let it take. */
function CarryingCard({ engine }: { engine: Engine }) {
  const use = engine.carrying();
  const command = useCommand();
  const people = Object.entries(use.byFriend).sort(([a], [b]) => a.localeCompare(b));
  const choices = [0, 1, 2, 4, 8].map((mb) => mb * 1024 * 1024);
  if (!choices.includes(use.budget)) choices.push(use.budget);
  return (
    <div class="card-block settings-card">
      <h2>Carrying for friends</h2>
      <p class="help">
        When two of your friends are never online at the same time, your browser carries what they write for each other, and
        their walls, to the one you meet next. Only what they may both see, checked by their own signatures.
      </p>
      <p>{carryingWords(use.count, use.bytes)}</p>
      {people.length > 0 && (
        <ul class="carried-list">
          {people.map(([who, n]) => (
            <li key={who}>
              @{who}: {plural(n.count, "item")}, {sizeWords(n.bytes)}
            </li>
          ))}
        </ul>
      )}
      <label class="field-inline">
        Space for what you carry{" "}
        <select
          value={String(use.budget)}
          disabled={command.busy}
          onChange={(e) => void command.run(() => engine.setCarryBudget(Number(e.currentTarget.value)))}
        >
          {choices
            .sort((a, b) => a - b)
            .map((bytes) => (
              <option key={bytes} value={String(bytes)}>
                {bytes === 0 ? "None: carry nothing" : sizeWords(bytes)}
              </option>
            ))}
        </select>
      </label>
      <label class="switch">
        <input
          type="checkbox"
          checked={use.fullPhotos}
          disabled={command.busy}
          onChange={(e) => void command.run(() => engine.setCarryFullPhotos(e.currentTarget.checked))}
        />
        Also pass on full-size photos, not only thumbnails (uses more of your data)
      </label>
      <CommandError error={command.error} class="said error" />
    </div>
  );
}

function SafetyRow({ engine, friend }: { engine: Engine; friend: FriendView }) {
  const record = engine.friend(friend.handle);
  const number = useSafetyNumber(engine.publicKey, record?.key);
  return (
    <tr>
      <th scope="row">@{friend.handle}</th>
      <td class="safety-number">{record?.key ? (number ?? "…") : "not met yet"}</td>
    </tr>
  );
}

function BackupCard({ backup }: { backup: Backup }) {
  // One sentence for the card: what the last export or import did, or why it failed.
  const command = useCommand();
  const [said, setSaid] = useState("");

  const exportNow = async () => {
    setSaid("");
    await command.run(async () => {
      const { blob, name } = await backup.exportFile();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setSaid(`Saved ${name}. Keep it somewhere safe: it holds your key.`);
    });
  };

  const importNow = async (file: File) => {
    setSaid("");
    await command.run(async () => setSaid(await backup.importFile(file)));
  };

  return (
    <div class="card-block settings-card">
      <h2>Backup</h2>
      <p class="help">
        One file with your key, your wall, your friends and what is waiting to be delivered. Import it into another browser
        to carry on there.
      </p>
      <div class="button-row">
        <button type="button" class="button" disabled={command.busy} onClick={() => void exportNow()}>
          Export backup
        </button>
        <ImportBackupButton class="button quiet" disabled={command.busy} onFile={(file) => void importNow(file)} />
      </div>
      <p class="said ok" role="status">
        {said}
      </p>
      <CommandError error={command.error} class="said error" />
    </div>
  );
}

/** "Import backup": the button, and the file picker it opens (hidden: the button is the control people, and tests, use). */
export function ImportBackupButton(props: { class: string; disabled: boolean; children?: ComponentChildren; onFile(file: File): void }) {
  const picker = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" class={props.class} disabled={props.disabled} onClick={() => picker.current?.click()}>
        {props.children ?? "Import backup"}
      </button>
      <input
        ref={picker}
        type="file"
        accept="application/json,.json"
        class="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = "";
          if (file) props.onFile(file);
        }}
      />
    </>
  );
}
