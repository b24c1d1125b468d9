// What went wrong with a command, in plain words, next to where it happened.
export function CommandError({
  error,
  inline = false,
  class: className = "error",
}: {
  error: string | null | undefined;
  /** Inside a line of text (a span), rather than a paragraph of its own. */
  inline?: boolean;
  class?: string;
}) {
  if (!error) return null;
  const Tag = inline ? "span" : "p";
  return (
    <Tag class={className} role="alert">
      {error}
    </Tag>
  );
}
