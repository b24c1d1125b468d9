// One post as an <article>: author, text (as text, never HTML), photos, time, delivery, likes, comments.
import { useState } from "preact/hooks";
import type { Engine } from "../sync/engine";
import type { PostView } from "../sync/wall";
import { CommentForm } from "./CommentForm";
import { CommentItem } from "./CommentItem";
import { ConfirmButton } from "./ConfirmButton";
import { Delivery, Via } from "./Delivery";
import { Avatar, Handle, NamedBy } from "./Handle";
import { LikeButton } from "./LikeButton";
import { Lightbox } from "./Lightbox";
import { PhotoGrid } from "./PhotoGrid";
import { RelativeTime } from "./RelativeTime";
import { Uploads } from "./Uploads";
import type { Photos } from "./usePhoto";

interface Props {
  engine: Engine;
  photos: Photos;
  post: PostView;
  /** Say "on @wall's wall" when someone else wrote it there (the feed). */
  showWall?: boolean;
}

export function PostCard({ engine, photos, post, showWall = false }: Props) {
  const { event, pending, comments } = post;
  const me = engine.me;
  const wall = event.wall;
  const seen = (h: string) => h === me || engine.isFriend(h);
  const canDelete = event.author === me || wall === me;
  const refs = event.body.photos ?? [];
  const [open, setOpen] = useState<number | null>(null);
  return (
    <article class="post">
      <header class="post-head">
        <Avatar handle={event.author} />
        <div class="post-who">
          <span>
            <Handle handle={event.author} linked={seen(event.author)} class="who" />
            <NamedBy author={event.author} wall={wall} known={seen(event.author)} />
            {showWall && wall !== event.author && (
              <span class="on-wall">
                {" "}
                on <Handle handle={wall} linked={seen(wall)} />
                's wall
              </span>
            )}
          </span>
          <span class="meta">
            <RelativeTime ts={event.ts} />
            <Delivery pending={pending} wall={wall} author={event.author} me={me} />
            <Via via={post.via} wall={wall} />
          </span>
        </div>
        {canDelete && (
          <ConfirmButton
            label="Delete"
            question="Delete this post for everyone?"
            confirm="Yes, delete"
            onConfirm={() => engine.remove(wall, event.id)}
            class="link-button post-delete"
          />
        )}
      </header>
      {event.body.text && <p class="text post-text">{event.body.text}</p>}
      {refs.length > 0 && <PhotoGrid engine={engine} photos={photos} refs={refs} author={event.author} onOpen={setOpen} />}
      {refs.length > 0 && <Uploads photos={photos} refs={refs} />}
      {open !== null && refs.length > 0 && (
        <Lightbox engine={engine} photos={photos} refs={refs} author={event.author} start={open} onClose={() => setOpen(null)} />
      )}
      <div class="post-bar">
        <LikeButton engine={engine} wall={wall} post={post} />
      </div>
      {comments.length > 0 && (
        <ul class="comments">
          {comments.map((c) => (
            <CommentItem key={c.event.id} engine={engine} wall={wall} comment={c} />
          ))}
        </ul>
      )}
      <CommentForm engine={engine} wall={wall} post={event.id} />
    </article>
  );
}
