// How much each friend has asked of my browser lately, against policy's PER_FRIEND limits.
import type { Cursor } from "../events";
import { canon } from "../handles";
import { PER_FRIEND } from "../policy";

const MINUTE = 60_000;
const DAY = 24 * 3600_000;
/** Remembered (peer, link, wall) answers; the oldest go first. */
const MAX_SYNC_MEMORY = 5_000;

/** At most ``limit`` events in any ``ms`` long stretch of time. */
export class Window {
  private times: number[] = [];

  constructor(
    readonly limit: number,
    readonly ms: number,
  ) {}

  /** Counts one more event at ``now``; false (and not counted) when the window is full. */
  allow(now: number): boolean {
    const since = now - this.ms;
    let old = 0;
    while (old < this.times.length && this.times[old]! <= since) old++;
    if (old) this.times = this.times.slice(old);
    if (this.times.length >= this.limit) return false;
    this.times.push(now);
    return true;
  }
}

export type SyncVerdict = "answer" | "repeated" | "over-quota";

/** At most ``limit`` bytes in any ``ms`` long stretch of time. */
export class ByteWindow {
  private spent: { at: number; bytes: number }[] = [];
  private total = 0;

  constructor(
    readonly limit: number,
    readonly ms: number,
  ) {}

  /** Spends ``bytes`` at ``now``; false (and not spent) when that would pass the limit. */
  spend(now: number, bytes: number): boolean {
    while (this.spent.length && this.spent[0]!.at <= now - this.ms) this.total -= this.spent.shift()!.bytes;
    if (this.total + bytes > this.limit) return false;
    this.spent.push({ at: now, bytes });
    this.total += bytes;
    return true;
  }
}

export class Budgets {
  private readonly deliveries = new Map<string, { minute: Window; day: Window }>();
  private readonly syncs = new Map<string, Window>();
  /** How far each (friend, link, wall) has been served. */
  private readonly served = new Map<string, Cursor>();
  private readonly photoGets = new Map<string, Window>();
  private readonly carriedWalls = new Map<string, ByteWindow>();

  constructor(private readonly now: () => number) {}

  /** May ``peer`` add one more event to my wall now? */
  delivery(peer: string): boolean {
    const key = canon(peer);
    let budget = this.deliveries.get(key);
    if (!budget) {
      budget = { minute: new Window(PER_FRIEND.deliveriesPerMinute, MINUTE), day: new Window(PER_FRIEND.deliveriesPerDay, DAY) };
      this.deliveries.set(key, budget);
    }
    const now = this.now();
    // Both windows must have room; the minute's is asked first, so a burst never eats the day.
    return budget.minute.allow(now) && budget.day.allow(now);
  }

  /**
   * How to answer a sync request: from where (``from``), or not at all. On one link (``link``:
   * its session's nonce) an event is sent at most once, whatever is asked: a request for what was
   * sent already gets only what is new since ("repeated" when that is nothing). A new link starts
   * afresh: the answers on the old one may have been lost with it.
   */
  sync(peer: string, link: string, wall: string, since: Cursor, cursor: Cursor, own = false): { verdict: SyncVerdict; from: Cursor } {
    const key = `${canon(peer)} ${link} ${canon(wall)}`;
    const sent = this.served.get(key) ?? {};
    const from: Cursor = {};
    let asksAgain = false;
    let anythingNew = false;
    for (const stream of new Set([...Object.keys(since), ...Object.keys(cursor)])) {
      const asked = since[stream] ?? 0;
      const already = sent[stream] ?? 0;
      from[stream] = Math.max(asked, already);
      if (asked < already) asksAgain = true;
      if (from[stream]! < (cursor[stream] ?? 0)) anythingNew = true;
    }
    if (!anythingNew && asksAgain) return { verdict: "repeated", from };
    let window = this.syncs.get(canon(peer));
    if (!window) this.syncs.set(canon(peer), (window = new Window(PER_FRIEND.syncsPerMinute, MINUTE)));
    // My own devices ask for every wall at once; the quota is for friends.
    if (!own && !window.allow(this.now())) return { verdict: "over-quota", from };
    this.served.delete(key);
    const served: Cursor = { ...sent };
    for (const [stream, n] of Object.entries(cursor)) served[stream] = Math.max(served[stream] ?? 0, n);
    this.served.set(key, served);
    if (this.served.size > MAX_SYNC_MEMORY) this.served.delete(this.served.keys().next().value!);
    return { verdict: "answer", from };
  }

  /** May I serve ``peer`` ``bytes`` more of other friends' walls this hour? */
  carriedWall(peer: string, bytes: number): boolean {
    let window = this.carriedWalls.get(canon(peer));
    if (!window) this.carriedWalls.set(canon(peer), (window = new ByteWindow(PER_FRIEND.carriedWallBytesPerHour, 3600_000)));
    return window.spend(this.now(), bytes);
  }

  /** May ``peer`` have one more photo request answered now? */
  photoGet(peer: string): boolean {
    let window = this.photoGets.get(canon(peer));
    if (!window) this.photoGets.set(canon(peer), (window = new Window(PER_FRIEND.photoGetsPerMinute, MINUTE)));
    return window.allow(this.now());
  }
}
