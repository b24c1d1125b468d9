// The news feed: every post on my wall and my friends' walls, newest first.
import { useEffect } from "preact/hooks";
import type { Engine } from "../sync/engine";
import { PostCard } from "./PostCard";
import { usePaging } from "./ShowMore";
import type { Photos } from "./usePhoto";

export function FeedView({ engine, photos }: { engine: Engine; photos: Photos }) {
  const items = engine.feed();
  const { shown, more } = usePaging(items.length);

  // The feed shows everything, so everything shown is read.
  useEffect(() => {
    for (const wall of new Set(items.map((i) => i.wall))) if (engine.unread(wall) > 0) void engine.markRead(wall);
  });

  return (
    <section class="feed-view" aria-labelledby="view-heading">
      <header class="view-head">
        <h1 id="view-heading" tabIndex={-1}>
          News feed
        </h1>
        <p class="wall-sub">Everything on your wall and your friends' walls, newest first.</p>
      </header>
      {items.length === 0 ? (
        <div class="empty-state card-block">
          <p>Your feed is empty. Posts by you and your friends appear here as they are written.</p>
        </div>
      ) : (
        <div class="posts">
          {items.slice(0, shown).map(({ post }) => (
            <PostCard key={post.event.id} engine={engine} photos={photos} post={post} showWall />
          ))}
          {more}
        </div>
      )}
    </section>
  );
}
