// Friends: add by handle, answer requests, see who is online, unfriend, block, unblock.
import type { Engine, FriendView } from "../sync/engine";
import { AddFriend } from "./AddFriend";
import { FriendRow } from "./FriendRow";
import { Avatar } from "./Handle";
import { useCommand } from "./useCommand";
import { CommandError } from "./CommandError";

interface Props {
  engine: Engine;
  /** The Friends route shows the panel as the page (h1); beside a wall it is a sidebar (h2). */
  asPage?: boolean;
}

export function FriendsPanel({ engine, asPage = false }: Props) {
  const all = engine.friends();
  const of = (state: FriendView["state"]) => all.filter((f) => f.state === state);
  const incoming = of("requested-in");
  const outgoing = of("requested-out");
  const friends = of("accepted").sort((a, b) => Number(b.online) - Number(a.online) || a.handle.localeCompare(b.handle));
  const blocked = of("blocked");
  const Title = asPage ? "h1" : "h2";
  const Sub = asPage ? "h2" : "h3";

  return (
    <section class={`friends-panel card-block${asPage ? " as-page" : ""}`} aria-labelledby={asPage ? "view-heading" : "friends-heading"}>
      <Title id={asPage ? "view-heading" : "friends-heading"} tabIndex={asPage ? -1 : undefined}>
        Friends
      </Title>
      <AddFriend engine={engine} />

      {incoming.length > 0 && (
        <div class="group requests">
          <Sub>Friend requests</Sub>
          <ul class="people">
            {incoming.map((f) => (
              <Incoming key={f.handle} engine={engine} handle={f.handle} />
            ))}
          </ul>
        </div>
      )}

      {outgoing.length > 0 && (
        <div class="group">
          <Sub>Sent requests</Sub>
          <ul class="people">
            {outgoing.map((f) => (
              <Outgoing key={f.handle} engine={engine} handle={f.handle} />
            ))}
          </ul>
        </div>
      )}

      <div class="group">
        <Sub>
          Your friends{friends.length > 0 && <span class="count"> {friends.length}</span>}
        </Sub>
        {friends.length === 0 ? (
          <p class="empty">No friends yet. Add someone by their handle to see their wall here.</p>
        ) : (
          <ul class="people">
            {friends.map((f) => (
              <FriendRow key={f.handle} engine={engine} friend={f} />
            ))}
          </ul>
        )}
      </div>

      {blocked.length > 0 && (
        <div class="group">
          <Sub>Blocked</Sub>
          <ul class="people">
            {blocked.map((f) => (
              <Blocked key={f.handle} engine={engine} handle={f.handle} />
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function Incoming({ engine, handle }: { engine: Engine; handle: string }) {
  const command = useCommand();
  return (
    <li class="person request">
      <div class="friend-line">
        <Avatar handle={handle} size="small" />
        <span class="friend-name">
          <strong>@{handle}</strong> wants to be your friend
        </span>
      </div>
      <div class="person-actions">
        <button type="button" class="button small" disabled={command.busy} onClick={() => void command.run(() => engine.accept(handle))}>
          Accept
        </button>
        <button type="button" class="button small quiet" disabled={command.busy} onClick={() => void command.run(() => engine.decline(handle))}>
          Decline
        </button>
      </div>
      <CommandError error={command.error} />
    </li>
  );
}

function Outgoing({ engine, handle }: { engine: Engine; handle: string }) {
  const command = useCommand();
  return (
    <li class="person">
      <div class="friend-line">
        <Avatar handle={handle} size="small" />
        <span class="friend-name">
          <strong>@{handle}</strong> <span class="muted">— waiting for them to accept</span>
        </span>
      </div>
      <div class="person-actions">
        <button type="button" class="link-button" disabled={command.busy} onClick={() => void command.run(() => engine.unfriend(handle))}>
          Cancel request
        </button>
      </div>
      <CommandError error={command.error} />
    </li>
  );
}

function Blocked({ engine, handle }: { engine: Engine; handle: string }) {
  const command = useCommand();
  return (
    <li class="person">
      <div class="friend-line">
        <Avatar handle={handle} size="small" />
        <span class="friend-name">
          <strong>@{handle}</strong>
        </span>
      </div>
      <div class="person-actions">
        <button type="button" class="link-button" disabled={command.busy} onClick={() => void command.run(() => engine.unblock(handle))}>
          Unblock
        </button>
      </div>
      <CommandError error={command.error} />
    </li>
  );
}
