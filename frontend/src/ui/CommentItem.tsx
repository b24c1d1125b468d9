// One comment: who, what, when, whether it has reached the wall yet; "Remove" for its author or the wall's owner.
import type { Engine } from "../sync/engine";
import type { CommentView } from "../sync/wall";
import { ConfirmButton } from "./ConfirmButton";
import { Avatar, Handle, NamedBy } from "./Handle";
import { Delivery, Via } from "./Delivery";
import { RelativeTime } from "./RelativeTime";

export function CommentItem({ engine, wall, comment }: { engine: Engine; wall: string; comment: CommentView }) {
  const { event, pending } = comment;
  const me = engine.me;
  const canRemove = event.author === me || wall === me;
  const known = event.author === me || engine.isFriend(event.author);
  return (
    <li class="comment">
      <Avatar handle={event.author} size="small" />
      <div class="comment-body">
        <div class="bubble">
          <Handle handle={event.author} linked={known} class="who" />
          <NamedBy author={event.author} wall={wall} known={known} />
          <p class="text">{event.body.text}</p>
        </div>
        <div class="meta">
          <RelativeTime ts={event.ts} />
          <Delivery pending={pending} wall={wall} author={event.author} me={me} />
          <Via via={comment.via} wall={wall} />
          {canRemove && (
            <ConfirmButton
              label="Remove"
              question="Remove this reply?"
              confirm="Yes, remove"
              onConfirm={() => engine.remove(wall, event.id)}
            />
          )}
        </div>
      </div>
    </li>
  );
}
