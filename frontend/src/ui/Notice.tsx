// A card with a title and a few words: "open in another tab", "could not start".
import type { ComponentChildren } from "preact";

export function Notice({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <section class="notice" role="alert" aria-labelledby="notice-title">
      <h1 id="notice-title">{title}</h1>
      <p>{children}</p>
    </section>
  );
}
