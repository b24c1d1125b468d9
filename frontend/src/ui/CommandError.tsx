// What went wrong with a command, in plain words, next to where it happened. A full store says
// where to make room.
import type { Said } from "./useCommand";

export function CommandError({
  error,
  inline = false,
  class: className = "error",
}: {
  error: Said | string | null | undefined;
  /** Inside a line of text (a span), rather than a paragraph of its own. */
  inline?: boolean;
  class?: string;
}) {
  if (!error) return null;
  const { text, fault } = typeof error === "string" ? { text: error, fault: null } : error;
  const Tag = inline ? "span" : "p";
  return (
    <Tag class={className} role="alert">
      {text}
      {fault === "full" && (
        <>
          {" "}
          <a href="#/settings">Free space in Settings</a>
        </>
      )}
    </Tag>
  );
}
