// The app's navigation: my wall, the feed, friends (with a badge), settings; and the connection.
import type { Route } from "./route";
import { ConnectionStatus } from "./ConnectionStatus";
import { Icon } from "./icons";
import type { Connection } from "./useEngine";
import { plural } from "./words";

interface Props {
  route: Route;
  me: string;
  requests: number;
  unread: number;
  /** Notifications not seen yet. */
  unseen: number;
  connection: Connection;
}

export function Nav({ route, me, requests, unread, unseen, connection }: Props) {
  const current = (yes: boolean) => (yes ? "page" : undefined);
  const badge = requests + unread;
  const badgeWords = [requests ? plural(requests, "friend request") : "", unread ? `${unread} new on friends' walls` : ""]
    .filter(Boolean)
    .join(", ");
  return (
    <nav class="pw-nav" aria-label="Peerwall">
      <ul class="tabs">
        <li>
          <a href="#/" aria-current={current(route.name === "wall" && route.handle === me)}>
            <Icon name="home" />My wall
          </a>
        </li>
        <li>
          <a href="#/feed" aria-current={current(route.name === "feed")}>
            <Icon name="feed" />Feed
          </a>
        </li>
        <li>
          <a href="#/friends" aria-current={current(route.name === "friends")} aria-describedby={badge ? "friends-badge" : undefined}>
            <Icon name="friends" />Friends
            {badge > 0 && (
              <span class="badge" aria-hidden="true">
                {badge > 99 ? "99+" : badge}
              </span>
            )}
          </a>
          {badge > 0 && (
            <span id="friends-badge" class="visually-hidden">
              {badgeWords}
            </span>
          )}
        </li>
        <li>
          {/* The count is part of the link's name, "Notifications (3)", built from its contents: an
              aria-label of that name beside a visible "3" fails label-in-name (WCAG 2.5.3, axe's
              label-content-name-mismatch), which reads "(3)" as an aside and the shown 3 as missing. */}
          <a href="#/notifications" aria-current={current(route.name === "notifications")}>
            <Icon name="bell" />
            Notifications
            {unseen > 0 && (
              <>
                <span class="visually-hidden"> ({unseen})</span>
                <span class="badge" aria-hidden="true">
                  {unseen > 99 ? "99+" : unseen}
                </span>
              </>
            )}
          </a>
        </li>
        <li>
          <a href="#/settings" aria-current={current(route.name === "settings")}>
            <Icon name="settings" />Settings
          </a>
        </li>
      </ul>
      <ConnectionStatus connection={connection} />
    </nav>
  );
}
