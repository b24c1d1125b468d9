// Sentences the views show, kept pure so they are tested and read the same everywhere.
import type { BrokerState } from "../sync/transport";

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
