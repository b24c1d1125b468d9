// Hash routes: #/ my wall, #/wall/<handle>, #/feed, #/friends, #/notifications, #/settings.
// Anything else is my wall.
import { isHandle } from "../sync/events";

export type Route =
  | { name: "wall"; handle: string }
  | { name: "feed" }
  | { name: "friends" }
  | { name: "notifications" }
  | { name: "settings" };

export function parseRoute(hash: string, me: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "");
  if (path === "/feed") return { name: "feed" };
  if (path === "/friends") return { name: "friends" };
  if (path === "/settings") return { name: "settings" };
  if (path === "/notifications") return { name: "notifications" };
  const wall = /^\/wall\/([^/]+)$/.exec(path);
  if (wall) {
    let handle = wall[1]!;
    try {
      handle = decodeURIComponent(handle);
    } catch {
      return { name: "wall", handle: me };
    }
    handle = handle.replace(/^@/, "");
    if (isHandle(handle)) return { name: "wall", handle: handle.toLowerCase() === me.toLowerCase() ? me : handle };
  }
  return { name: "wall", handle: me };
}

export function wallHref(handle: string): string {
  return `#/wall/${encodeURIComponent(handle)}`;
}
