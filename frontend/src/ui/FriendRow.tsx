// One friend: a link to their wall, online/offline, what is new, and Unfriend / Block.
import type { Engine, FriendView } from "../sync/engine";
import { ConfirmButton } from "./ConfirmButton";
import { Avatar } from "./Handle";
import { KeyWarning } from "./KeyWarning";
import { Presence } from "./Presence";
import { wallHref } from "./route";

export function FriendRow({ engine, friend }: { engine: Engine; friend: FriendView }) {
  const h = friend.handle;
  return (
    <li class="friend">
      <div class="friend-line">
        <Avatar handle={h} size="small" />
        <span class="friend-name">
          <a href={wallHref(h)}>@{h}</a> <Presence online={friend.online} connected={friend.connected} />
        </span>
        {friend.unread > 0 && <span class="badge new">{friend.unread} new</span>}
      </div>
      <div class="friend-actions">
        <ConfirmButton
          label="Unfriend"
          question={`Unfriend @${h}? You stop seeing each other's walls.`}
          confirm="Yes, unfriend"
          onConfirm={() => engine.unfriend(h)}
        />
        <ConfirmButton
          label="Block"
          question={`Block @${h}? They can no longer reach you.`}
          confirm="Yes, block"
          onConfirm={() => engine.block(h)}
        />
      </div>
      {friend.keyChanged && <KeyWarning engine={engine} handle={h} />}
    </li>
  );
}
