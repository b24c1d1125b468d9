// A wall: its owner's heading, the composer, the posts newest first.
import { useEffect } from "preact/hooks";
import type { Engine, FriendView } from "../sync/engine";
import { Composer } from "./Composer";
import { Avatar } from "./Handle";
import { PostCard } from "./PostCard";
import { Presence } from "./Presence";
import { usePaging } from "./ShowMore";
import type { Photos } from "./usePhoto";

export function WallView({ engine, photos, handle }: { engine: Engine; photos: Photos; handle: string }) {
  const me = engine.me;
  const mine = handle === me;
  const friend: FriendView | undefined = mine ? undefined : engine.friends().find((f) => f.handle === handle);
  const visible = mine || friend?.state === "accepted";
  const posts = visible ? engine.wall(handle) : [];
  const { shown, more } = usePaging(posts.length);

  // Seen what is here: the unread count of this wall goes to zero, also as new posts arrive.
  useEffect(() => {
    if (visible && engine.unread(handle) > 0) void engine.markRead(handle);
  });

  return (
    <section class="wall-view" aria-labelledby="view-heading">
      <header class="wall-head card-block">
        <Avatar handle={handle} size="large" />
        <div>
          <h1 id="view-heading" tabIndex={-1}>
            @{handle}
          </h1>
          <p class="wall-sub">
            {mine ? "Your wall" : friend?.state === "accepted" ? <Presence online={friend.online} connected={friend.connected} /> : "Not your friend"}
          </p>
        </div>
      </header>
      {!visible && <NotFriend handle={handle} friend={friend} />}
      {visible && <Composer engine={engine} photos={photos} wall={handle} />}
      {visible && posts.length === 0 && <EmptyWall handle={handle} mine={mine} online={friend?.online ?? false} />}
      {posts.length > 0 && (
        <div class="posts">
          {posts.slice(0, shown).map((post) => (
            <PostCard key={post.event.id} engine={engine} photos={photos} post={post} />
          ))}
          {more}
        </div>
      )}
    </section>
  );
}

function EmptyWall({ handle, mine, online }: { handle: string; mine: boolean; online: boolean }) {
  if (mine) {
    return (
      <div class="empty-state card-block">
        <p>Nothing here yet. Write your first post above — it stays in this browser and reaches your friends directly.</p>
      </div>
    );
  }
  return (
    <div class="empty-state card-block">
      <p>Nothing on @{handle}'s wall yet.</p>
      {!online && <p class="help">@{handle} is offline; you'll see their wall when you are both online.</p>}
    </div>
  );
}

function NotFriend({ handle, friend }: { handle: string; friend: FriendView | undefined }) {
  let words: string;
  switch (friend?.state) {
    case "requested-out":
      words = `You asked @${handle} to be friends. Their wall appears here once they accept.`;
      break;
    case "requested-in":
      words = `@${handle} wants to be your friend. Accept their request under Friends to see each other's walls.`;
      break;
    case "blocked":
      words = `You blocked @${handle}. Unblock them under Friends if that was a mistake.`;
      break;
    default:
      words = `@${handle} is not your friend, so their wall is not shared with you. Add them by their handle under Friends.`;
  }
  return (
    <div class="empty-state card-block">
      <p>{words}</p>
    </div>
  );
}
