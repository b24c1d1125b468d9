// The app: navigation, the view the hash names, and the friends panel beside walls and the feed.
import { useEffect } from "preact/hooks";
import type { Engine } from "../sync/engine";
import type { Persistence } from "../app/persistence";
import { Announcer } from "./Announcer";
import { FeedView } from "./FeedView";
import { FriendsPanel } from "./FriendsPanel";
import { Nav } from "./Nav";
import { NotificationsView } from "./NotificationsView";
import { useDesktopNotices } from "./useDesktopNotices";
import type { Route } from "./route";
import { type Backup, Settings } from "./Settings";
import { SpaceBanner } from "./SpaceBanner";
import type { SpaceControls } from "./SpaceCard";
import { type Connection, useEngine } from "./useEngine";
import { type Photos, usePhotoProgress } from "./usePhoto";
import type { Watched } from "./useObservable";
import { useRoute } from "./useRoute";
import { WallView } from "./WallView";

export interface AppProps {
  engine: Engine;
  /** The photo exchange (the app's BlobExchange): stored photos, fetching, sending. */
  photos: Photos;
  space: SpaceControls;
  connection: Connection;
  persistence: Watched<Persistence>;
  backup: Backup;
}

function titleOf(route: Route): string {
  switch (route.name) {
    case "wall":
      return `@${route.handle}`;
    case "feed":
      return "News feed";
    case "friends":
      return "Friends";
    case "notifications":
      return "Notifications";
    case "settings":
      return "Settings";
  }
}

export function App({ engine, photos, space, connection, persistence, backup }: AppProps) {
  const version = useEngine(engine);
  usePhotoProgress(photos);
  useDesktopNotices(engine, version);
  const parsed = useRoute(engine.me);
  const friends = engine.friends();
  // A handle typed in the address bar in another case still finds the friend.
  const route: Route =
    parsed.name === "wall"
      ? { name: "wall", handle: friends.find((f) => f.handle.toLowerCase() === parsed.handle.toLowerCase())?.handle ?? parsed.handle }
      : parsed;
  const requests = friends.filter((f) => f.state === "requested-in").length;
  const unread = friends.reduce((n, f) => n + f.unread, 0);
  const unseen = engine.unseenNotices();

  const title = titleOf(route);
  useEffect(() => {
    document.title = `${unseen ? `(${unseen}) ` : ""}${title} · Peerwall`;
  }, [title, unseen]);

  const withSide = route.name === "wall" || route.name === "feed";
  return (
    <div class="pw">
      <Nav route={route} me={engine.me} requests={requests} unread={unread} unseen={unseen} connection={connection} />
      <Announcer engine={engine} version={version} />
      <div class={`pw-layout${withSide ? " with-side" : ""}`}>
        <div class="pw-main">
          {route.name !== "settings" && <SpaceBanner watch={space.watch} />}
          {route.name === "wall" && <WallView key={route.handle} engine={engine} photos={photos} handle={route.handle} />}
          {route.name === "feed" && <FeedView engine={engine} photos={photos} />}
          {route.name === "friends" && <FriendsPanel engine={engine} asPage />}
          {route.name === "notifications" && <NotificationsView engine={engine} />}
          {route.name === "settings" && <Settings engine={engine} photos={photos} space={space} persistence={persistence} backup={backup} />}
        </div>
        {withSide && (
          <aside class="pw-side">
            <FriendsPanel engine={engine} />
          </aside>
        )}
      </div>
    </div>
  );
}
