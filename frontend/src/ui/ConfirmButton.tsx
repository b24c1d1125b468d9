// A button that asks before it acts, in place: "Delete" becomes "Delete this post? [Yes, delete] [Cancel]".
// In place rather than window.confirm, so it reads well, works by keyboard and is easy to test.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useCommand } from "./useCommand";
import { CommandError } from "./CommandError";

interface Props {
  /** The button's name, e.g. "Delete". */
  label: string;
  /** The question, e.g. "Delete this post for everyone?" */
  question: ComponentChildren;
  /** The confirming button's name, e.g. "Yes, delete". */
  confirm: string;
  onConfirm: () => Promise<unknown>;
  class?: string;
  danger?: boolean;
}

export function ConfirmButton({ label, question, confirm, onConfirm, class: className = "link-button", danger = true }: Props) {
  const [asking, setAsking] = useState(false);
  const command = useCommand();
  const yes = useRef<HTMLButtonElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) trigger.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <span class="confirm">
        <button type="button" ref={trigger} class={className} onClick={() => setAsking(true)}>
          {label}
        </button>
        <CommandError error={command.error} inline />
      </span>
    );
  }
  const act = async () => {
    // On success the thing is usually gone (and this with it); on failure, the error says why.
    await command.run(onConfirm);
    setAsking(false);
  };
  return (
    <span class="confirm asking" onKeyDown={(e) => e.key === "Escape" && setAsking(false)}>
      <span class="question">{question}</span>
      <button type="button" ref={yes} class={`button small${danger ? " danger" : ""}`} disabled={command.busy} onClick={() => void act()}>
        {confirm}
      </button>
      <button type="button" class="button small quiet" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
