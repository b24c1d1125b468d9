// "Like": a toggle (aria-pressed) with the count beside it and who likes it in words.
import type { Engine } from "../sync/engine";
import type { PostView } from "../sync/wall";
import { Icon } from "./icons";
import { useCommand } from "./useCommand";
import { likeSentence } from "./words";
import { CommandError } from "./CommandError";

export function LikeButton({ engine, wall, post }: { engine: Engine; wall: string; post: PostView }) {
  const command = useCommand();
  const liked = post.likes.includes(engine.me);
  const sentence = likeSentence(post.likes, engine.me);
  return (
    <span class="likes">
      <button
        type="button"
        class={`like${liked ? " on" : ""}`}
        aria-pressed={liked}
        disabled={command.busy}
        onClick={() => void command.run(() => engine.like(wall, post.event.id, !liked))}
      >
        <Icon name="heart" />
        Like
        {post.likes.length > 0 && (
          <span class="count" aria-hidden="true">
            {post.likes.length}
          </span>
        )}
      </button>
      {sentence && <span class="like-sentence">{sentence}</span>}
      <CommandError error={command.error} inline />
    </span>
  );
}
