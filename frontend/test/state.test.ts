// The state parts on their own, over a real (fake-indexeddb) store: what they keep and what they
// write, with the store read back to prove it.
import { IDBFactory } from "fake-indexeddb";
import { openDB } from "idb";
import { describe, expect, it } from "vitest";
import { databaseName, openDatabase } from "../src/store/db";
import { Repository } from "../src/store/repository";
import type { WallEvent } from "../src/sync/events";
import { PER_FRIEND } from "../src/sync/policy";
import { Budgets, Window } from "../src/sync/state/budgets";
import { EventLog } from "../src/sync/state/eventLog";
import { FriendBook } from "../src/sync/state/friendBook";
import { Notices } from "../src/sync/state/notices";

const SIG = "s".repeat(86);
let n = 0;
function ev(wall: string, author: string, kind: WallEvent["kind"], body: WallEvent["body"], extra: Partial<WallEvent> = {}): WallEvent {
  return { id: `event_${++n}_xx`, wall, author, kind, ts: 1_000 + n, body, sig: SIG, ...extra };
}

async function repo(handle = "alice", factory = new IDBFactory()): Promise<Repository> {
  return new Repository(await openDatabase(handle, factory));
}

describe("Window and Budgets", () => {
  it("a window lets ``limit`` through in any stretch of its length", () => {
    const w = new Window(3, 1000);
    expect([0, 10, 20, 30].map((t) => w.allow(t))).toEqual([true, true, true, false]);
    expect(w.allow(1_001)).toBe(true); // the first has left the window
    expect(w.allow(1_002)).toBe(false);
  });

  it("counts each friend's deliveries a minute and a day, whatever the letter case", () => {
    let now = 0;
    const budgets = new Budgets(() => now);
    let taken = 0;
    while (budgets.delivery(taken % 2 ? "BOB" : "bob")) taken++;
    expect(taken).toBe(PER_FRIEND.deliveriesPerMinute);
    expect(budgets.delivery("carol")).toBe(true); // another friend's budget is their own
    let day = taken;
    for (now = 60_001; now < 23 * 3600_000; now += 60_001) while (budgets.delivery("bob")) day++;
    expect(day).toBe(PER_FRIEND.deliveriesPerDay);
    now = 24 * 3600_000 + 1; // a day after the first ones: room again
    expect(budgets.delivery("bob")).toBe(true);
  });

  it("sends an event at most once a link, whatever the requests, and answers only so many a minute", () => {
    const now = 0;
    const budgets = new Budgets(() => now);
    // A wall of 40 places: the first request is answered from where it asks.
    expect(budgets.sync("bob", "link1", "alice", { "": 0 }, { "": 40 })).toEqual({ verdict: "answer", from: { "": 0 } });
    // Asking again on that link, from anywhere, gets only what is new since: nothing.
    expect(budgets.sync("bob", "link1", "alice", { "": 0 }, { "": 40 }).verdict).toBe("repeated");
    expect(budgets.sync("bob", "link1", "alice", { "": 17 }, { "": 40 }).verdict).toBe("repeated");
    // The wall grew: the same request now gets the new places only.
    expect(budgets.sync("bob", "link1", "alice", { "": 0 }, { "": 45 })).toEqual({ verdict: "answer", from: { "": 40 } });
    // A new link may ask again (what was sent on the old one may be lost with it).
    expect(budgets.sync("bob", "link2", "alice", { "": 0 }, { "": 45 })).toEqual({ verdict: "answer", from: { "": 0 } });
    let answered = 0;
    for (let i = 0; i < 1000; i++) if (budgets.sync("bob", "link1", `wall${i}`, {}, { "": 5 }).verdict === "answer") answered++;
    expect(answered).toBe(PER_FRIEND.syncsPerMinute - 3);
  });
});

describe("EventLog", () => {
  it("writes before it remembers, and keeps a wall whatever the case of its name", async () => {
    const r = await repo();
    const log = await EventLog.open(r, () => 10_000);
    const e = ev("Bob", "bob", "post", { text: "hi" }, { seq: 3 });
    await log.store([e]);
    expect([...log.wallEvents("BOB")]).toEqual([e]);
    expect((await r.events()).map((x) => x.id)).toEqual([e.id]);
    // Places 1 and 2 are missing: the wall's cursor stays before the gap, where a catch-up starts.
    expect([log.cursor("bob"), log.top("bob")]).toEqual([0, 3]);
    await log.store([ev("bob", "bob", "post", { text: "one" }, { seq: 1 }), ev("bob", "bob", "post", { text: "two" }, { seq: 2 })]);
    expect([log.cursor("bob"), log.top("bob")]).toEqual([3, 3]);
  });

  it("orders an event dated in the future by when I first held it, across reloads", async () => {
    const factory = new IDBFactory();
    const r = await repo("alice", factory);
    const log = await EventLog.open(r, () => 10_000);
    const ahead = ev("bob", "bob", "post", { text: "from tomorrow" }, { ts: 10_000 + 23 * 3600_000, seq: 1 });
    await log.store([ahead]);
    expect(log.orderTs(ahead)).toBe(10_000);
    r.close();
    const again = await EventLog.open(await repo("alice", factory), () => 50_000);
    expect(again.orderTs(ahead)).toBe(10_000);
  });
});

describe("EventLog.since: what a catch-up serves, in order", () => {
  /** The order a catch-up promises: by place, and by stream name at one place. */
  const reference = (events: WallEvent[], cursor: Record<string, number>) =>
    events
      .filter((e) => e.seq !== undefined && e.seq > (cursor[e.dev ?? ""] ?? 0))
      .sort((a, b) => a.seq! - b.seq! || ((a.dev ?? "") < (b.dev ?? "") ? -1 : 1))
      .map((e) => e.id);

  async function logWith(events: WallEvent[]): Promise<EventLog> {
    const log = await EventLog.open(await repo(), () => 10_000);
    // Stored in a shuffled order, as a store reads them back (by id).
    await log.store([...events].sort((a, b) => (a.sig + a.id < b.sig + b.id ? -1 : 1)).reverse());
    return log;
  }

  it("one stream, several streams, unplaced events and cursors at any place: the same order as a sort", async () => {
    const events: WallEvent[] = [];
    // Three devices and the stream from before devices, of different lengths; a gap in one.
    for (const [dev, count] of [["", 40], ["aa", 25], ["b9", 60], ["zz", 3]] as const)
      for (let seq = 1; seq <= count; seq++) if (!(dev === "b9" && seq === 30)) events.push(ev("alice", "alice", "post", { text: `${dev}${seq}` }, dev ? { seq, dev } : { seq }));
    events.push(ev("alice", "bob", "post", { text: "waiting for a place" }));
    const log = await logWith(events);
    const cursors: Record<string, number>[] = [{}, { "": 10 }, { aa: 25, b9: 7 }, { "": 40, aa: 25, b9: 60, zz: 3 }, { "": 100 }];
    for (const cursor of cursors)
      expect(log.since("alice", cursor).map((e) => e.id)).toEqual(reference(events, cursor));
  });

  it("places far apart, and two events claiming one place, are still all served in order", async () => {
    const far = [1, 2, 5_000_000].map((seq) => ev("alice", "alice", "post", { text: `${seq}` }, { seq }));
    expect((await logWith(far)).since("alice", {}).map((e) => e.id)).toEqual(reference(far, {}));
    const twice = [ev("alice", "alice", "post", { text: "a" }, { seq: 1 }), ev("alice", "alice", "post", { text: "b" }, { seq: 1 })];
    expect((await logWith(twice)).since("alice", {}).map((e) => e.id).sort()).toEqual(twice.map((e) => e.id).sort());
  });
});

describe("FriendBook", () => {
  it("one person whatever the letter case, keeping the spelling they chose", async () => {
    const book = await FriendBook.open(await repo());
    await book.save({ handle: "Bob_X", name: "Bob_X", state: "blocked", since: 1 });
    expect(book.get("bob_x")?.state).toBe("blocked");
    expect(book.isBlocked("BOB_X")).toBe(true);
    expect(book.name("bob_x")).toBe("Bob_X");
    expect(book.all()).toHaveLength(1);
  });

  it("merges the records of one person that older versions kept under two spellings", async () => {
    // A store as version 2 left it: people keyed by the spelling they came with, blobs alone.
    const handle = `migrated${++n}`;
    const old = await openDB(databaseName(handle), 2, {
      upgrade(db) {
        db.createObjectStore("identity", { keyPath: "id" });
        db.createObjectStore("friends", { keyPath: "handle" });
        db.createObjectStore("events", { keyPath: "id" }).createIndex("wall", "wall");
        db.createObjectStore("outbox", { keyPath: "id" });
        db.createObjectStore("meta", { keyPath: "key" });
        db.createObjectStore("blobs", { keyPath: "hash" });
      },
    });
    await old.put("friends", { handle: "bob", state: "accepted", since: 1, key: "k".repeat(43) });
    await old.put("friends", { handle: "BOB", state: "blocked", since: 2 });
    await old.put("friends", { handle: "Carol", state: "requested-in", since: 3 });
    await old.put("blobs", { hash: "a".repeat(64), bytes: new ArrayBuffer(10), mime: "image/jpeg", size: 10, mine: true, storedAt: 1 });
    old.close();
    const r = new Repository(await openDatabase(handle));
    const book = await FriendBook.open(r);
    // Whoever was blocked under any spelling stays blocked.
    expect(book.get("bob")).toMatchObject({ handle: "bob", name: "BOB", state: "blocked" });
    expect(book.get("carol")).toMatchObject({ handle: "carol", name: "Carol", state: "requested-in" });
    expect(book.all()).toHaveLength(2);
    expect(await r.blobInfo("a".repeat(64))).toMatchObject({ size: 10, mine: true });
  });
});

describe("Notices", () => {
  it("derives the five kinds, newest first, and keeps seen marks across reloads", async () => {
    const factory = new IDBFactory();
    const r = await repo("alice", factory);
    let now = 1_000_000;
    const log = await EventLog.open(r, () => now);
    const notices = await Notices.open("alice", r, () => now);
    const mine = ev("bob", "alice", "post", { text: "my post on bob's wall" }, { seq: 1, ts: now });
    const events = [
      ev("alice", "bob", "post", { text: "on your wall" }, { seq: 1, ts: now - 5 }),
      ev("bob", "carol", "comment", { post: mine.id, text: "nice" }, { seq: 2, ts: now - 4 }),
      ev("bob", "dave", "like", { target: mine.id, on: true }, { seq: 3, ts: now - 3 }),
      ev("bob", "erin", "like", { target: mine.id, on: false }, { seq: 4, ts: now - 2 }),
      ev("bob", "bob", "post", { text: "bob's own" }, { seq: 5, ts: now - 1 }),
    ];
    await log.store([mine, ...events]);
    await notices.fromEvents(events, log);
    now += 10;
    await notices.friendRequest("Frank");
    now += 10;
    await notices.friendAccepted("gina");
    expect(notices.all().map((x) => [x.kind, x.who])).toEqual([
      ["friend-accepted", "gina"],
      ["friend-request", "Frank"],
      ["like-on-my-post", "dave"],
      ["comment-on-my-post", "carol"],
      ["post-on-my-wall", "bob"],
    ]);
    expect(notices.unseen()).toBe(5);
    // The same events again (another path, a second catch-up): no second notice.
    await notices.fromEvents(events, log);
    expect(notices.all()).toHaveLength(5);
    expect(await notices.markSeen()).toBe(true);
    r.close();
    const again = await Notices.open("alice", await repo("alice", factory), () => now);
    expect(again.unseen()).toBe(0);
    expect(again.all()).toHaveLength(5);
  });

  it("says nothing of my own doings, nor of old events a first catch-up brings", async () => {
    const r = await repo();
    const now = 30 * 24 * 3600_000;
    const log = await EventLog.open(r, () => now);
    const notices = await Notices.open("alice", r, () => now);
    const events = [
      ev("alice", "alice", "post", { text: "me" }, { seq: 1, ts: now }),
      ev("alice", "bob", "post", { text: "a month ago" }, { seq: 2, ts: now - 29 * 24 * 3600_000 }),
    ];
    await log.store(events);
    expect(await notices.fromEvents(events, log)).toEqual([]);
  });
});
