// Sentences the views show, kept pure so they are tested and read the same everywhere. The core
// decides with codes (sync/outcomes.ts, media/exchange.ts PhotoProblem, notices' kinds); the
// words for people are all here.
import type { PhraseProblem } from "../crypto/recoveryPhrase";
import type { PhotoProblem } from "../media/exchange";
import type { StorageFaultCode } from "../store/faults";
import type { DeviceView, LinkOffer } from "../sync/devices/types";
import type { Outcome } from "../sync/outcomes";
import type { Notice } from "../sync/state/notices";
import type { BrokerState } from "../sync/transport";
import { relativeTime } from "./time";

/** What a command did, or why it could not, for the person who asked. */
export function outcomeWords(outcome: Outcome): string {
  switch (outcome.code) {
    case "not-a-handle":
      return "A handle is 1–15 letters, digits or single underscores.";
    case "no-such-handle":
      return `There is no one called @${outcome.handle} on Peerwall.`;
    case "is-me":
      return "That is you.";
    case "already-friends":
      return `@${outcome.handle} is already your friend.`;
    case "blocked":
      return `You blocked @${outcome.handle}; unblock them first.`;
    case "not-your-friend":
      return "You can write only on your friends' walls.";
    case "no-such-post":
      return "That post is not on this wall.";
    case "post-deleted":
      return "That post was deleted.";
    case "nothing-to-delete":
      return "There is nothing to delete.";
    case "may-not-delete":
      return "Only its author or the wall's owner may delete this.";
    case "only-the-owner":
      return "Only the wall's owner may do that.";
    case "request-sent":
      return `Friend request for @${outcome.handle} sent. It arrives when they are online.`;
    case "now-friends":
      return `@${outcome.handle} had asked you already: you are now friends.`;
  }
}

/** Why a photo is not shown, after "Photo not here yet:" or "could not be fetched:". */
export function photoProblemWords(problem: PhotoProblem): string {
  switch (problem.code) {
    case "offline": {
      const names = problem.sources.map((s) => `@${s}`).join(" or ");
      return `${names} ${problem.sources.length > 1 ? "are" : "is"} offline`;
    }
    case "nobody-has-it":
      return "none of your friends has it";
    case "not-shared":
      return `@${problem.from} does not have it`;
    case "bad-copies":
      return "no good copy could be fetched";
    case "too-large":
      return `@${problem.from} announced ${sizeWords(problem.size)}, more than a photo may have`;
    case "over-budget":
      return `@${problem.by} has posted more photos on your wall than it keeps; free space in Settings`;
    case "not-an-image":
      return "it is not an image";
    case "stalled":
      return `@${problem.from} stopped sending it`;
    case "no-room":
      return "this browser has no room left to keep it; free space in Settings";
  }
}

/** One notification in plain words: "@bob commented on your post". */
export function noticeWords(notice: Pick<Notice, "kind" | "who">): string {
  const who = `@${notice.who}`;
  switch (notice.kind) {
    case "post-on-my-wall":
      return `${who} posted on your wall`;
    case "comment-on-my-post":
      return `${who} commented on your post`;
    case "like-on-my-post":
      return `${who} liked your post`;
    case "friend-request":
      return `${who} wants to be friends`;
    case "friend-accepted":
      return `${who} accepted your friend request`;
  }
}

/** "You and 2 others like this", "@bob likes this", "" when no one does. */
export function likeSentence(likes: readonly string[], me: string): string {
  const mine = likes.includes(me);
  const others = likes.filter((h) => h !== me);
  if (!mine && others.length === 0) return "";
  if (mine) {
    if (others.length === 0) return "You like this";
    if (others.length === 1) return `You and @${others[0]} like this`;
    return `You and ${others.length} others like this`;
  }
  if (others.length === 1) return `@${others[0]} likes this`;
  if (others.length === 2) return `@${others[0]} and @${others[1]} like this`;
  return `@${others[0]} and ${others.length - 1} others like this`;
}

/**
 * The connection to the broker in plain words: what it is (read out when it changes) and, while
 * offline, a countdown to the next try (shown, not read out every second).
 */
export function connectionWords(state: BrokerState, retryAt: number, now: number): { label: string; detail: string } {
  switch (state.kind) {
    case "connecting":
      return { label: "Connecting…", detail: "" };
    case "online":
      return { label: "Online", detail: "" };
    case "offline": {
      const seconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
      return { label: "Offline", detail: seconds > 0 ? ` — retrying in ${seconds} s` : " — retrying now" };
    }
    case "refused":
      return { label: `Not connected: ${state.reason}`, detail: "" };
  }
}

/**
 * Said under the connection status while the broker cannot be reached: why the app still shows
 * a wall, and that it goes on trying. Null while there is nothing to explain.
 */
export function brokerWords(state: BrokerState, unreached: boolean): string | null {
  if (!unreached || state.kind === "online" || state.kind === "refused") return null;
  return "Peerwall cannot reach its server right now. What you see is kept in this browser, and what you post is kept here too and goes out once the server is back. It keeps trying by itself.";
}

/** "1 item", "3 items". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the outbox holds, for Settings. */
export function outboxSentence(count: number): string {
  if (count === 0) return "Everything you wrote on friends' walls has been delivered.";
  return `${plural(count, "item")} waiting to be delivered: posts, comments and likes you wrote on friends' walls reach them when you are both online.`;
}

/** A counter near a limit: null while far from it. */
export function remaining(length: number, limit: number, warnAt: number): number | null {
  const left = limit - length;
  return left <= warnAt ? left : null;
}

/** A size for people: "340 KB", "12.3 MB". */
export function sizeWords(bytes: number): string {
  const mb = bytes / 1024 / 1024;
  if (bytes <= 0) return "0 MB";
  if (mb < 0.1) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
  return `${mb.toFixed(1)} MB`;
}

/** How far along a transfer is, 0–100, rounded down (100 only when it is all there). */
export function percent(done: number, size: number): number {
  if (size <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / size) * 100)));
}

/** "Photo 2 of 3", or "Photo" when it is the only one. */
export function photoName(index: number, count: number): string {
  return count > 1 ? `Photo ${index + 1} of ${count}` : "Photo";
}

/** The alt text of a photo on a post: "Photo 1 of 3 by @bob". */
export function photoAlt(index: number, count: number, author: string): string {
  return `Photo ${index + 1} of ${count} by @${author}`;
}

/** "Loading full size… 1.2 of 3.4 MB" (or without figures before the size is known). */
export function fullSizeWords(received: number, size: number): string {
  if (size <= 0) return "Loading full size…";
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  return `Loading full size… ${mb(received)} of ${mb(size)} MB`;
}

/** "Sending photo 2 of 3 to @bob"; a thumbnail is a "preview". */
export function uploadLabel(peer: string, index: number, count: number, preview: boolean): string {
  const which = count > 1 ? `photo ${index + 1} of ${count}` : "photo";
  return `Sending ${which}${preview ? " (preview)" : ""} to @${peer}`;
}

/** "Sending photo 2 of 3 to @bob — 40%". */
export function uploadWords(peer: string, index: number, count: number, preview: boolean, sent: number, size: number): string {
  return `${uploadLabel(peer, index, count, preview)} — ${percent(sent, size)}%`;
}

/** Settings: what photos take in this browser. */
export function storageWords(use: { mine: number; cached: number; byFriend?: Record<string, number> }): string {
  const onMyWall = Object.values(use.byFriend ?? {}).reduce((a, b) => a + b, 0);
  const theirs = onMyWall > 0 ? ` · Friends' photos on your wall: ${sizeWords(onMyWall)}` : "";
  return `Your photos: ${sizeWords(use.mine)}${theirs} · Friends' photos kept here: ${sizeWords(use.cached)}`;
}

/** Settings: what "Free space" did. */
export function freedWords(bytes: number): string {
  if (bytes <= 0) return "There was nothing to free: no friends' photos are kept here.";
  return `Freed ${sizeWords(bytes)}. Friends' photos will be fetched again when you look at them.`;
}

/** Settings: what this browser carries for friends. */
export function carryingWords(count: number, bytes: number): string {
  if (count === 0) return "You carry nothing for your friends right now.";
  return `You carry ${plural(count, "post, comment or like", "posts, comments and likes")} (${sizeWords(bytes)}) for friends to deliver.`;
}

/** A storage fault (store/faults.ts) in plain words: what happened and what to do. */
export function storageFaultWords(code: StorageFaultCode): string {
  switch (code) {
    case "full":
      return "This browser has no room left for Peerwall, so this was not saved. Free some space in Settings (remove old photos), or free disk space on this device, then try again.";
    case "unavailable":
      return "This browser does not let Peerwall keep anything on this device: site data may be blocked for this site, this may be a private window, or the browser cannot write its files. Allow site data for this site in your browser's settings, or use a normal window, then reload. If that does not help, restart the browser.";
    case "blocked":
      return "Peerwall was updated, but another tab still has the older version open. Close or reload the other Peerwall tabs; this tab goes on by itself as soon as they do.";
    case "closed":
      return "A newer version of Peerwall opened in another tab, or the browser closed Peerwall's storage, so this tab stopped. Reload this tab to go on here.";
  }
}

/** A storage fault that keeps the app from opening (or stops it), as the page's one notice. */
export function startFaultWords(code: StorageFaultCode): { title: string; words: string } {
  switch (code) {
    case "full":
      return {
        title: "This browser has no room left for Peerwall",
        words: "Peerwall needs a little room in this browser to open your wall. Free disk space on this device, or remove other sites' data in your browser's settings, then reload.",
      };
    case "unavailable":
      return { title: "Peerwall cannot keep your wall in this browser", words: storageFaultWords("unavailable") };
    case "blocked":
      return { title: "Peerwall is waiting for another tab", words: storageFaultWords("blocked") };
    case "closed":
      return { title: "Peerwall stopped in this tab", words: storageFaultWords("closed") };
  }
}

/** Settings: how much room Peerwall has in this browser, as the browser estimates it. */
export function spaceWords(space: { full: boolean; usage: number | null; quota: number | null }): string {
  if (space.usage === null || space.quota === null) return "This browser does not say how much room it gives Peerwall.";
  const left = Math.max(0, space.quota - space.usage);
  // Browsers estimate from their own quota, not from what the disk still holds.
  if (space.full)
    return `Peerwall uses ${sizeWords(space.usage)}. The browser estimates ${sizeWords(left)} more is allowed, but this device's disk has no room left for it.`;
  return `Peerwall uses ${sizeWords(space.usage)} of the ${sizeWords(space.quota)} this browser allows it: ${sizeWords(left)} left.`;
}

/** The warning before it is full. */
export function lowSpaceWords(left: number): string {
  return `Only ${sizeWords(Math.max(0, left))} is left for Peerwall in this browser. Free some space before it runs out: keep fewer friends' photos, or delete old photo posts.`;
}

/** When a write did not fit: what still works, what waits, what to do. */
export const FULL_WORDS =
  "This browser has no room left for Peerwall. Reading and syncing what fits go on, but your new posts, comments and likes cannot be saved until there is room; what you wrote stays in its box. Free space here: remove friends' photos kept in this browser, keep fewer of them, or delete old photo posts. Freeing disk space on this device helps too.";

/** The line at the top of every view while the store is full. */
export const FULL_BANNER_WORDS = "No room left in this browser: you can read, but new posts cannot be saved until you free some space.";

/** One wall's share of the space, for Settings. */
export function wallUseWords(use: { events: number; eventBytes: number; photoBytes: number }): string {
  const photos = use.photoBytes > 0 ? `, photos ${sizeWords(use.photoBytes)}` : "";
  return `${plural(use.events, "event")} (${sizeWords(use.eventBytes)})${photos}`;
}

/** A choice of the cap on friends' full-size photos. */
export function capWords(bytes: number): string {
  if (!Number.isFinite(bytes)) return "No limit";
  const mb = Math.round(bytes / 1024 / 1024);
  return mb >= 1000 ? `Up to ${+(mb / 1024).toFixed(1)} GB` : `Up to ${mb} MB`;
}

// ---- Devices, linking and the recovery phrase (Settings → Devices, Recovery phrase; the set-up choice).

/** What to do with a device code, on the other browser. */
export function linkStepsWords(handle: string): string {
  return `On your other browser, log in as @${handle}, choose \u201cLink to my other device\u201d, and type this code.`;
}

/** How long a device code still works: "4 min 05 s left", "9 s left". */
export function timeLeftWords(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m} min ${String(s).padStart(2, "0")} s left` : `${s} s left`;
}

/** Where a device code stands, in a sentence; ``name`` is the linked device's, when known. */
export function linkStatusWords(status: LinkOffer["status"], name?: string): string {
  switch (status) {
    case "waiting":
      return "Waiting for your other browser\u2026";
    case "linked":
      return `Linked: ${name ?? "your new device"} now has your wall.`;
    case "expired":
      return "This code has expired. Make a new one to try again.";
    case "spent":
      return "This code is used up: it linked a device, or was typed wrong too often. Make a new one to link a device.";
  }
}

/** One of my devices: "this device", "online", "last seen 5 min ago", "not seen yet". */
export function deviceSeenWords(device: Pick<DeviceView, "current" | "online" | "lastSeen">, now: number): string {
  if (device.current) return "this device";
  if (device.online) return "online";
  if (device.lastSeen === undefined) return "not seen yet";
  return `last seen ${relativeTime(device.lastSeen, now)}`;
}

/** The question before removing a device of mine. */
export function removeDeviceWords(name: string): string {
  return `Remove ${name}? Your devices stop syncing with it, but it still knows your key. If it is lost or stolen, start fresh with a new key instead (your friends will be asked to confirm it).`;
}

/** Under the recovery phrase, always. */
export const RECOVERY_WARNING =
  "Anyone who has these words can be you on Peerwall. Write them on paper and keep it somewhere safe. Never type them into any other site, an email or a chat: Peerwall asks for them only when you restore a browser.";

/** Why the set-up choice is asked, after log-in in a browser that holds nothing of mine. */
export const SETUP_WHY = "This browser holds nothing of yours yet: no key, no wall. Choose how to bring them here.";

/** What starting fresh means, asked before it happens. */
export const START_FRESH_WORDS =
  "Start fresh with a new key? Your friends will be asked to confirm the new key. Your old posts stay with your friends, but they do not come back to this browser.";

/** A recovery phrase that was refused, with the slip named. */
export function phraseProblemWords(problem: PhraseProblem): string {
  switch (problem.code) {
    case "wrong-length":
      return `A recovery phrase has 24 words; this has ${plural(problem.count, "word")}.`;
    case "unknown-word":
      return `Word ${problem.position}, \u201c${problem.word}\u201d, is not a recovery word: check its spelling.`;
    case "checksum":
      return "These words do not fit together: one of them is probably wrong or out of order. Check them against your paper.";
  }
}

/** Settings → Devices: what to do when a device is lost or stolen. */
export const LOST_DEVICE_WORDS =
  "Lost a device, or had one stolen? Removing it stops your devices syncing with it, but it still holds your key. To be safe, start fresh with a new key here.";

export const START_ANEW_WORDS =
  "Start fresh with a new key? Your friends will be asked to confirm it. Your wall starts anew: your old posts stay with your friends and here, as they were, and your other devices must link again.";
