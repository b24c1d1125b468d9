// The first question after log-in in a browser that holds nothing of mine: link to my other
// device, restore from the recovery phrase, import a backup, or start fresh with a new key. One
// runs at a time; a refusal is said next to its control; success is the caller's (it reboots).
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { PhraseProblem } from "../crypto/recoveryPhrase";
import type { SetupActions } from "../sync/devices/types";
import { CommandError } from "./CommandError";
import { ImportBackupButton } from "./Settings";
import { type Said, useCommand } from "./useCommand";
import { phraseProblemWords, SETUP_WHY, START_FRESH_WORDS } from "./words";

type Choice = "link" | "restore" | "import" | "fresh";

const BUSY: Record<Choice, string> = { link: "Linking…", restore: "Restoring…", import: "Importing…", fresh: "Starting fresh…" };
const DONE: Record<Choice, string> = {
  link: "Linked. Opening your wall…",
  restore: "Restored. Opening your wall…",
  import: "Imported. Opening your wall…",
  fresh: "Opening your new wall…",
};

/** A refused phrase in words, should the engine pass on the crypto's code rather than words. */
function inWords(error: unknown): unknown {
  const problem = (error as { problem?: PhraseProblem } | null)?.problem;
  return error instanceof Error && error.name === "PhraseRefused" && problem ? new Error(phraseProblemWords(problem)) : error;
}

export function SetupChoice({ handle, actions }: { handle: string; actions: SetupActions }) {
  const [open, setOpen] = useState<Choice | null>(null);
  const [said, setSaid] = useState("");
  const command = useCommand();
  const fresh = useRef<HTMLButtonElement>(null);
  // After success the app reboots: nothing more to choose meanwhile.
  const locked = command.busy || !!said;
  const busy = (which: Choice) => (command.busy && open === which ? BUSY[which] : undefined);
  const errorOf = (which: Choice) => (open === which ? command.error : null);

  const run = (which: Choice, task: () => Promise<string | void>) => {
    setOpen(which);
    void command.run(async () => setSaid((await task()) || DONE[which]));
  };
  const toggle = (which: Choice) => {
    command.clear();
    setOpen(open === which ? null : which);
  };
  const choice = (which: Choice, name: string, ref?: typeof fresh) => (
    <button type="button" ref={ref} class="button quiet wide" aria-expanded={open === which} disabled={locked} onClick={() => toggle(which)}>
      {name}
    </button>
  );

  return (
    <section class="setup-view" aria-labelledby="setup-heading">
      <h1 id="setup-heading">Welcome back, @{handle}</h1>
      <p class="sub">{SETUP_WHY}</p>
      <ul class="setup-choices">
        <li>
          {choice("link", "Link to my other device")}
          <p class="help">Another browser where you use Peerwall shows a code in Settings → Devices → Link a device.</p>
          {open === "link" && (
            <Ask label="Device code" submit="Link" busy={busy("link")} error={errorOf("link")} onSubmit={(code) => run("link", () => actions.link(code))} />
          )}
        </li>
        <li>
          {choice("restore", "Restore from recovery phrase")}
          <p class="help">The 24 words you wrote down. Your wall comes back from your friends' copies.</p>
          {open === "restore" && (
            <Ask
              label="Recovery phrase"
              submit="Restore"
              multiline
              busy={busy("restore")}
              error={errorOf("restore")}
              onSubmit={(phrase) => run("restore", () => actions.restore(phrase).catch((e: unknown) => Promise.reject(inWords(e))))}
            />
          )}
        </li>
        <li>
          <ImportBackupButton class="button quiet wide" disabled={locked} onFile={(file) => run("import", () => actions.importBackup(file))}>
            {busy("import")}
          </ImportBackupButton>
          <p class="help">A backup file you exported in Settings.</p>
          <CommandError error={errorOf("import")} class="said error" />
        </li>
        <li>
          {choice("fresh", "Start fresh", fresh)}
          <p class="help">A new key and an empty wall here.</p>
          {open === "fresh" && (
            <Confirm
              busy={busy("fresh")}
              error={errorOf("fresh")}
              onYes={() => run("fresh", () => actions.startFresh())}
              onNo={() => (toggle("fresh"), fresh.current?.focus())}
            />
          )}
        </li>
      </ul>
      <p class="said ok" role="status">
        {said}
      </p>
    </section>
  );
}

interface AskProps {
  label: string;
  submit: string;
  multiline?: boolean;
  /** The button's words while it runs ("Linking…"). */
  busy?: string;
  error: Said | null;
  onSubmit(typed: string): void;
}

/** A field that takes the focus when it opens, its button, and the refusal right under them. */
function Ask({ label, submit, multiline = false, busy, error, onSubmit }: AskProps) {
  const [typed, setTyped] = useState("");
  const id = useId();
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  useEffect(() => field.current?.focus(), []);
  const common = {
    id,
    ref: field,
    value: typed,
    autocomplete: "off",
    autocapitalize: "none" as const,
    spellcheck: false,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": error ? `${id}-error` : undefined,
    onInput: (e: { currentTarget: { value: string } }) => setTyped(e.currentTarget.value),
  };
  return (
    <form
      class="setup-form"
      aria-busy={busy ? true : undefined}
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) onSubmit(typed.trim());
      }}
    >
      <label for={id}>{label}</label>
      {multiline ? <textarea rows={4} {...common} /> : <input type="text" {...common} />}
      <button type="submit" class="button" disabled={!!busy}>
        {busy ?? submit}
      </button>
      <div id={`${id}-error`}>
        <CommandError error={error} class="said error" />
      </div>
    </form>
  );
}

/** Start fresh, asked once more with what it means. */
function Confirm({ busy, error, onYes, onNo }: { busy?: string; error: Said | null; onYes(): void; onNo(): void }) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <div class="setup-form" onKeyDown={(e) => e.key === "Escape" && !busy && onNo()}>
      <p class="warning">{START_FRESH_WORDS}</p>
      <div class="button-row">
        <button type="button" ref={yes} class="button danger" disabled={!!busy} onClick={onYes}>
          {busy ?? "Yes, start fresh"}
        </button>
        <button type="button" class="button quiet" disabled={!!busy} onClick={onNo}>
          Cancel
        </button>
      </div>
      <CommandError error={error} class="said error" />
    </div>
  );
}
