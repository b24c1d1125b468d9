// Settings → Recovery phrase: the identity key as 24 words to write on paper, shown only when
// asked and hidden again with one button (or by leaving Settings).
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { CommandError } from "./CommandError";
import { useFocusBack } from "./DevicesCard";
import { useCommand } from "./useCommand";
import { RECOVERY_WARNING } from "./words";

/** What the card asks for (the Engine has it). */
export interface RecoveryControls {
  /** The 24 words of my key. */
  recoveryPhrase(): Promise<string[]>;
}

export function RecoveryCard({ recovery }: { recovery: RecoveryControls }) {
  const [words, setWords] = useState<string[] | null>(null);
  const command = useCommand();
  const list = useRef<HTMLOListElement>(null);
  const show = useRef<HTMLButtonElement>(null);
  // Shown: the words take the focus, so they are read out; hidden: back to the button.
  useEffect(() => void (words && list.current?.focus()), [words]);
  useFocusBack(!!words, show);

  return (
    <div class="card-block settings-card recovery-card">
      <h2>Recovery phrase</h2>
      <p class="help">
        Your key as 24 words. With them, a browser that lost everything gets your wall back from your friends, and they see the
        same you, with no warning.
      </p>
      {words ? (
        <>
          <p class="warning">{RECOVERY_WARNING}</p>
          {/* One word a list item, a space between them: the words read (and copy) in order. */}
          <ol class="phrase" aria-label="Recovery phrase" ref={list} tabIndex={-1}>
            {words.map((word, i) => (
              <Fragment key={i}>
                <li>{word}</li>{" "}
              </Fragment>
            ))}
          </ol>
          <div class="button-row">
            <button type="button" class="button" onClick={() => setWords(null)}>
              Hide
            </button>
          </div>
        </>
      ) : (
        <div class="button-row">
          <button
            type="button"
            ref={show}
            class="button quiet"
            disabled={command.busy}
            onClick={() => void command.run(async () => setWords(await recovery.recoveryPhrase()))}
          >
            Show recovery phrase
          </button>
        </div>
      )}
      <CommandError error={command.error} class="said error" />
    </div>
  );
}
