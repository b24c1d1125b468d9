// A person as "@handle": a link to their wall when I can see it (me or a friend), else plain text.
import { wallHref } from "./route";

export function Handle({ handle, linked, class: className }: { handle: string; linked: boolean; class?: string }) {
  const name = `@${handle}`;
  const classes = `handle${className ? ` ${className}` : ""}`;
  return linked ? (
    <a class={classes} href={wallHref(handle)}>
      {name}
    </a>
  ) : (
    <span class={classes}>{name}</span>
  );
}

/** A round initial, its colour chosen by the handle so a person always looks the same. */
export function Avatar({ handle, size }: { handle: string; size?: "small" | "large" }) {
  let hash = 0;
  for (const ch of handle.toLowerCase()) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return (
    <span class={`avatar c${hash % 8}${size ? ` ${size}` : ""}`} aria-hidden="true">
      {handle.charAt(0).toUpperCase()}
    </span>
  );
}

/**
 * After the name of someone I do not know: only the wall's owner vouches that they are who the
 * name says (the owner checked their key; I cannot). Nothing for me, my friends or the owner.
 */
export function NamedBy({ author, wall, known }: { author: string; wall: string; known: boolean }) {
  if (known || author === wall) return null;
  return (
    <span class="vouched" title={`You do not know @${author}: @${wall}, whose wall this is, vouches for the name.`}>
      {" "}
      (named by @{wall})
    </span>
  );
}
