// Desktop notifications, only when the person turned them on in Settings and the browser allows
// them, only while the tab is in the background, and saying no more than who did what.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Engine } from "../sync/engine";
import { noticeWords } from "./words";

const PREFERENCE = "peerwall-desktop-notifications";

export function desktopNoticesSupported(): boolean {
  return typeof Notification !== "undefined";
}

function wanted(): boolean {
  try {
    return localStorage.getItem(PREFERENCE) === "on";
  } catch {
    return false;
  }
}

/** The Settings switch: on asks the browser's permission (this must run in a click). */
export function useDesktopNoticesSetting(): { on: boolean; permission: NotificationPermission | "unsupported"; set(on: boolean): Promise<void> } {
  const [on, setOn] = useState(wanted);
  const [permission, setPermission] = useState<NotificationPermission | "unsupported">(
    desktopNoticesSupported() ? Notification.permission : "unsupported",
  );
  const set = async (next: boolean) => {
    if (next && desktopNoticesSupported() && Notification.permission === "default") setPermission(await Notification.requestPermission());
    try {
      localStorage.setItem(PREFERENCE, next ? "on" : "off");
    } catch {
      // Private modes may refuse storage: the switch then lasts until the page closes.
    }
    setOn(next);
  };
  return { on, permission, set };
}

/** Shows a desktop notification for each new notice while the tab is hidden, when turned on. */
export function useDesktopNotices(engine: Engine, version: number): void {
  const shown = useRef<Set<string> | null>(null);
  useEffect(() => {
    const notices = engine.notices();
    // The notices there when the page opened are not news.
    if (shown.current === null) {
      shown.current = new Set(notices.map((n) => n.id));
      return;
    }
    for (const n of notices) {
      if (shown.current.has(n.id)) continue;
      shown.current.add(n.id);
      if (n.seen || !document.hidden || !wanted() || !desktopNoticesSupported() || Notification.permission !== "granted") continue;
      new Notification("Peerwall", { body: noticeWords(n), tag: n.id });
    }
  }, [engine, version]);
}
