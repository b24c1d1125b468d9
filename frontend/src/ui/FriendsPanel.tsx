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

interface Action {
  label: string;
  class: string;
  run: () => Promise<void>;
}

/** One person in a list of requests or blocked people: who, what it means, what I can do. */
function PersonRow({ handle, caption, actions, class: className = "person" }: {
  handle: string;
  caption?: preact.ComponentChildren;
  actions: Action[];
  class?: string;
}) {
  const command = useCommand();
  return (
    <li class={className}>
      <div class="friend-line">
        <Avatar handle={handle} size="small" />
        <span class="friend-name">
          <strong>@{handle}</strong>
          {caption && <> {caption}</>}
        </span>
      </div>
      <div class="person-actions">
        {actions.map((action) => (
          <button key={action.label} type="button" class={action.class} disabled={command.busy} onClick={() => void command.run(action.run)}>
            {action.label}
          </button>
        ))}
      </div>
      <CommandError error={command.error} />
    </li>
  );
}

function Incoming({ engine, handle }: { engine: Engine; handle: string }) {
  return (
    <PersonRow
      class="person request"
      handle={handle}
      caption="wants to be your friend"
      actions={[
        { label: "Accept", class: "button small", run: () => engine.accept(handle) },
        { label: "Decline", class: "button small quiet", run: () => engine.decline(handle) },
      ]}
    />
  );
}

function Outgoing({ engine, handle }: { engine: Engine; handle: string }) {
  return (
    <PersonRow
      handle={handle}
      caption={<span class="muted">— waiting for them to accept</span>}
      actions={[{ label: "Cancel request", class: "link-button", run: () => engine.unfriend(handle) }]}
    />
  );
}

function Blocked({ engine, handle }: { engine: Engine; handle: string }) {
  return <PersonRow handle={handle} actions={[{ label: "Unblock", class: "link-button", run: () => engine.unblock(handle) }]} />;
}
