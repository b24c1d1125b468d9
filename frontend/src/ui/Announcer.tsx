// Tells screen readers, politely, when friends' posts arrive.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Engine } from "../sync/engine";

export function Announcer({ engine, version }: { engine: Engine; version: number }) {
  const seen = useRef<Set<string> | null>(null);
  const [said, setSaid] = useState("");
  useEffect(() => {
    const items = engine.feed();
    if (seen.current === null) {
      seen.current = new Set(items.map((i) => i.post.event.id));
      return;
    }
    const fresh = items.filter((i) => !seen.current!.has(i.post.event.id));
    for (const i of fresh) seen.current.add(i.post.event.id);
    const others = fresh.filter((i) => i.post.event.author !== engine.me);
    if (others.length === 1) {
      const e = others[0]!.post.event;
      setSaid(`New post from @${e.author}${e.wall !== e.author ? ` on @${e.wall}'s wall` : ""}.`);
    } else if (others.length > 1) {
      setSaid(`${others.length} new posts from your friends.`);
    }
  }, [engine, version]);
  return (
    <p class="visually-hidden" aria-live="polite">
      {said}
    </p>
  );
}
