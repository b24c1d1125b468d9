// The app: navigation, the view the hash names, and the friends panel beside walls and the feed.
import { useEffect } from "preact/hooks";
import type { Engine } from "../sync/engine";
import { Announcer } from "./Announcer";
import { FeedView } from "./FeedView";
import { FriendsPanel } from "./FriendsPanel";
import { Nav } from "./Nav";
import type { Route } from "./route";
import { type Backup, type PhotoStorage, Settings } from "./Settings";
import { type Connection, useEngine } from "./useEngine";
import type { Photos } from "./usePhoto";
import { useRoute } from "./useRoute";
import { WallView } from "./WallView";

export interface AppProps {
  engine: Engine;
  /** The photo exchange (the app's BlobExchange): stored photos, fetching, sending. */
  photos: Photos;
  storage: PhotoStorage;
  connection: Connection;
  persisted: boolean;
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
    case "settings":
      return "Settings";
  }
}

export function App({ engine, photos, storage, connection, persisted, backup }: AppProps) {
  const version = useEngine(engine);
  const parsed = useRoute(engine.me);
  const friends = engine.friends();
  // A handle typed in the address bar in another case still finds the friend.
  const route: Route =
    parsed.name === "wall"
      ? { name: "wall", handle: friends.find((f) => f.handle.toLowerCase() === parsed.handle.toLowerCase())?.handle ?? parsed.handle }
      : parsed;
  const requests = friends.filter((f) => f.state === "requested-in").length;
  const unread = friends.reduce((n, f) => n + f.unread, 0);

  const title = titleOf(route);
  useEffect(() => {
    document.title = `${requests ? `(${requests}) ` : ""}${title} · Peerwall`;
  }, [title, requests]);

  const withSide = route.name === "wall" || route.name === "feed";
  return (
    <div class="pw">
      <Nav route={route} me={engine.me} requests={requests} unread={unread} connection={connection} />
      <Announcer engine={engine} version={version} />
      <div class={`pw-layout${withSide ? " with-side" : ""}`}>
        <div class="pw-main">
          {route.name === "wall" && <WallView key={route.handle} engine={engine} photos={photos} handle={route.handle} />}
          {route.name === "feed" && <FeedView engine={engine} photos={photos} />}
          {route.name === "friends" && <FriendsPanel engine={engine} asPage />}
          {route.name === "settings" && <Settings engine={engine} photos={photos} storage={storage} persisted={persisted} backup={backup} />}
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
