// Tells screen readers, politely, when friends' posts arrive.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Engine } from "../sync/engine";

export function Announcer({ engine, version }: { engine: Engine; version: number }) {
  const seen = useRef<number | null>(null);
  const [said, setSaid] = useState("");
  useEffect(() => {
    const { count, posts } = engine.arrivedSince(seen.current ?? Number.MAX_SAFE_INTEGER);
    const fresh = seen.current === null ? 0 : count - seen.current;
    seen.current = count;
    if (fresh === 1 && posts[0]) {
      const e = posts[0];
      setSaid(`New post from @${e.author}${e.wall !== e.author ? ` on @${e.wall}'s wall` : ""}.`);
    } else if (fresh > 1) {
      setSaid(`${fresh} new posts from your friends.`);
    }
  }, [engine, version]);
  return (
    <p class="visually-hidden" aria-live="polite">
      {said}
    </p>
  );
}
