// A card with a title, a few words and what to do: "open in another tab", "cannot keep your wall".
import type { ComponentChildren } from "preact";

export function Notice({ title, children, action }: { title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <section class="notice" role="alert" aria-labelledby="notice-title">
      <h1 id="notice-title">{title}</h1>
      <p>{children}</p>
      {action}
    </section>
  );
}
