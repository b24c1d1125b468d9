// Notifications: what happened that concerns me, newest first, each in plain words with a link
// to where it happened. Opening the view marks them seen; those new on opening stay marked new
// while the view is open.
import { useEffect, useState } from "preact/hooks";
import type { Engine, Notice } from "../sync/engine";
import { Avatar } from "./Handle";
import { RelativeTime } from "./RelativeTime";
import { wallHref } from "./route";
import { noticeWords } from "./words";

export function NotificationsView({ engine }: { engine: Engine }) {
  const notices = engine.notices();
  // What was new when the view opened stays marked new until the person leaves the view.
  const [fresh] = useState(() => new Set(notices.filter((n) => !n.seen).map((n) => n.id)));
  const unseen = notices.filter((n) => !n.seen).length;
  useEffect(() => {
    for (const n of notices) if (!n.seen) fresh.add(n.id);
    if (unseen > 0) void engine.markNoticesSeen();
  }, [engine, unseen]);
  return (
    <section class="notifications-view" aria-labelledby="view-heading">
      <header class="view-head">
        <h1 id="view-heading" tabIndex={-1}>
          Notifications
        </h1>
        <p class="wall-sub">Friend requests, and what friends do on your wall and your posts.</p>
      </header>
      {notices.length === 0 ? (
        <p class="empty card-block">Nothing yet. When a friend posts on your wall, comments on or likes your post, it shows here.</p>
      ) : (
        <ul class="notice-list card-block" aria-label="Notifications, newest first">
          {notices.map((n) => (
            <NoticeItem key={n.id} notice={n} fresh={fresh.has(n.id)} />
          ))}
        </ul>
      )}
    </section>
  );
}

function NoticeItem({ notice, fresh }: { notice: Notice; fresh: boolean }) {
  const where = notice.kind === "friend-request" || notice.kind === "friend-accepted" ? "#/friends" : wallHref(notice.wall ?? notice.who);
  return (
    <li class={`notice-item${fresh ? " fresh" : ""}`}>
      <Avatar handle={notice.who} size="small" />
      <a class="notice-words" href={where}>
        {noticeWords(notice)}
      </a>
      {fresh && <span class="notice-new">new</span>}
      <RelativeTime ts={notice.at} />
    </li>
  );
}
