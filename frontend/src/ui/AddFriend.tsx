// "Friend's handle" + "Add friend": sends a request, says what happened in plain words.
import { useEffect, useId, useState } from "preact/hooks";
import type { Engine } from "../sync/engine";
import { useCommand } from "./useCommand";
import { CommandError } from "./CommandError";

export function AddFriend({ engine }: { engine: Engine }) {
  const [typed, setTyped] = useState("");
  const [done, setDone] = useState("");
  const command = useCommand();
  const id = useId();

  // The sentence stays long enough to be read, then makes room.
  useEffect(() => {
    if (!done) return;
    const timer = setTimeout(() => setDone(""), 15_000);
    return () => clearTimeout(timer);
  }, [done]);

  const submit = async () => {
    setDone("");
    let sentence = "";
    const ok = await command.run(async () => {
      sentence = await engine.addFriend(typed);
    });
    if (ok) {
      setTyped("");
      setDone(sentence);
    }
  };

  return (
    <form
      class="add-friend"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label for={id}>Friend's handle</label>
      <div class="input-row">
        <span class="at" aria-hidden="true">
          @
        </span>
        <input
          id={id}
          type="text"
          value={typed}
          placeholder="their handle"
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          maxLength={16}
          aria-invalid={command.error ? true : undefined}
          aria-describedby={`${id}-said`}
          onInput={(e) => {
            setTyped(e.currentTarget.value);
            if (command.error) command.clear();
            if (done) setDone("");
          }}
        />
        <button type="submit" class="button" disabled={command.busy} aria-busy={command.busy || undefined}>
          Add friend
        </button>
      </div>
      <div id={`${id}-said`}>
        <p class="said ok" role="status">
          {done}
        </p>
        <CommandError error={command.error} class="said error" />
      </div>
    </form>
  );
}
