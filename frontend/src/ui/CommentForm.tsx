// The comment box under a post: Enter sends, Shift+Enter starts a new line.
import { useRef, useState } from "preact/hooks";
import { LIMITS } from "../sync/events";
import type { Engine } from "../sync/engine";
import { Avatar } from "./Handle";
import { useCommand } from "./useCommand";
import { remaining } from "./words";
import { CommandError } from "./CommandError";

export function CommentForm({ engine, wall, post }: { engine: Engine; wall: string; post: string }) {
  const [text, setText] = useState("");
  const command = useCommand();
  const box = useRef<HTMLTextAreaElement>(null);
  const left = remaining(text.length, LIMITS.commentText, 200);
  const canSend = text.trim().length > 0 && (left === null || left >= 0) && !command.busy;

  const submit = async () => {
    if (!canSend) return;
    const sent = text;
    if (await command.run(() => engine.comment(wall, post, sent))) {
      setText((now) => (now === sent ? "" : now));
      box.current?.focus();
    }
  };

  return (
    <form
      class="comment-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Avatar handle={engine.me} size="small" />
      <textarea
        ref={box}
        rows={1}
        aria-label="Comment"
        placeholder="Write a comment…"
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          if (command.error) command.clear();
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      <button type="submit" class="button small" disabled={!canSend}>
        Reply
      </button>
      {left !== null && <span class={`counter${left < 0 ? " over" : ""}`}>{left}</span>}
      <CommandError error={command.error} />
    </form>
  );
}
