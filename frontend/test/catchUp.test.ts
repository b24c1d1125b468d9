// A wall's catch-up, fast and still honest (commit 05d581b): the owner signs each batch once
// (bsig) and the receiver takes that in place of a check per event of the owner's, never in place
// of another author's signature nor of the owner's place signatures on a wall a friend carries;
// batches go only as fast as the receiver gives credit; a peer flooding the inbox is cut off; and
// the first posts are stored early. Real engines over the simulated network (test/sim.ts).
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { generateIdentity, type Identity, loadIdentity, sign, type StoredIdentity, verify } from "../src/crypto/identity";
import type { StoredEvent } from "../src/store/db";
import { openDatabase } from "../src/store/db";
import { Repository, type StoreChange } from "../src/store/repository";
import { decodeFrame } from "../src/sync/decode/decodeFrame";
import { batchContent, createEvent, ordered, type WallEvent } from "../src/sync/events";
import { type Frame, MAX_FRAME_BYTES } from "../src/sync/frames";
import { CREDIT_WAIT_MS, SEND_WINDOW } from "../src/sync/peers/outflow";
import { MAX_INBOX, MAX_INBOX_BYTES, type Session } from "../src/sync/peers/session";
import { CATCH_UP_WRITE, FIRST_WRITE } from "../src/sync/protocol/wallSync";
import type { Link } from "../src/sync/transport";
import { befriend, frameOf, makeUser, type SimLink, SimNetwork, type User, until, usersOnline } from "./sim";

type Events = Extract<Frame, { t: "events" }>;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function linkOf(user: User, peer: string): SimLink {
  return [...user.transport.links].find((l) => l.peer.toLowerCase() === peer.toLowerCase() && !l.closed)!;
}

const texts = (user: User, wall: string) => user.engine.wall(wall).map((p) => (p.event.body as { text?: string }).text);

/** ``count`` posts of ``owner``'s wall, places 1…count signed by the owner. */
async function signedWall(owner: Identity, handle: string, count: number, pad = 0): Promise<WallEvent[]> {
  const out: WallEvent[] = [];
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    out.push(
      ...(await Promise.all(
        Array.from({ length: size }, async (_, k) => {
          const n = start + k;
          const event = await createEvent(owner, handle, handle, "post", { text: `post ${n} ${"x".repeat(pad)}` });
          return ordered(owner, event, n + 1);
        }),
      )),
    );
  }
  return out;
}

/** Walls signed once for the whole file (signing thousands of events costs seconds), by size. */
const walls = new Map<string, Promise<{ stored: StoredIdentity; events: WallEvent[] }>>();
function wallFor(count: number, pad: number) {
  const key = `${count}/${pad}`;
  if (!walls.has(key))
    walls.set(
      key,
      (async () => {
        const stored = await generateIdentity();
        return { stored, events: await signedWall(await loadIdentity(stored), "alice", count, pad) };
      })(),
    );
  return walls.get(key)!;
}

/** alice, whose browser already holds a wall of ``count`` posts (the app reads it as it starts). */
async function aliceWithWall(net: SimNetwork, count: number, pad = 0): Promise<{ alice: User; events: WallEvent[] }> {
  const { stored, events } = await wallFor(count, pad);
  const factory = new IDBFactory();
  const repo = new Repository(await openDatabase("alice", factory));
  await repo.saveIdentity({ id: "me", ...stored });
  for (let i = 0; i < events.length; i += 1000) await repo.write({ events: events.slice(i, i + 1000) as StoredEvent[] });
  repo.close();
  const alice = await makeUser(net, "alice", factory);
  expect(alice.engine.publicKey).toBe(stored.publicKey);
  expect(alice.engine.cursor("alice")).toBe(count);
  return { alice, events };
}

/** Runs ``watch`` on each new link of ``user`` once the engine has taken it over. */
function onEachLink(user: User, watch: (link: SimLink) => void): void {
  const handlers = user.transport.handlers!;
  user.transport.setHandlers({
    ...handlers,
    link: (link) => {
      handlers.link(link);
      watch(link as SimLink);
    },
  });
}

/** The session of ``user`` that runs on ``link``. */
function sessionOn(user: User, link: Link): Session | undefined {
  return (user.engine["parts"].connections.sessionsOf(link.peer) as Session[]).find((s) => s.link === link);
}

/** Records what ``checkFromOwner`` is asked (a spy that calls the real one). */
function spyCheckFromOwner(user: User): { wall: string; batchSigned: boolean; ids: string[] }[] {
  const calls: { wall: string; batchSigned: boolean; ids: string[] }[] = [];
  const wallSync = user.engine["parts"].wallSync as unknown as Record<string, (...args: unknown[]) => Promise<boolean[]>>;
  const real = wallSync.checkFromOwner!.bind(wallSync);
  wallSync.checkFromOwner = (wall, events, keys, ownerKey, batchSigned) => {
    calls.push({ wall: wall as string, batchSigned: batchSigned as boolean, ids: (events as WallEvent[]).map((e) => e.id) });
    return real(wall, events, keys, ownerKey, batchSigned);
  };
  return calls;
}

describe("decodeFrame: a batch's owner signature", () => {
  async function signedBatch() {
    const owner = await loadIdentity(await generateIdentity());
    const other = await loadIdentity(await generateIdentity());
    const events = await signedWall(owner, "alice", 5, 20);
    const frame: Events = { t: "events", wall: "alice", events, keys: {}, upto: 5, done: true };
    frame.bsig = await sign(owner, batchContent("alice", events));
    return { owner, other, frame };
  }
  const decoded = async (frame: unknown, key: string | undefined) => {
    const out = await decodeFrame(JSON.stringify(frame), key, Date.now());
    if (!out.ok) throw new Error(`refused: ${out.reason}`);
    return out.frame as Events;
  };

  it("a bsig that verifies with the given key comes back as batchKey; with another key, none", async () => {
    const { owner, other, frame } = await signedBatch();
    const ok = await decoded(frame, owner.publicKey);
    expect(ok.batchKey).toBe(owner.publicKey);
    expect(ok.events).toEqual(frame.events);
    expect("batchKey" in (await decoded(frame, other.publicKey))).toBe(false);
    expect("batchKey" in (await decoded(frame, undefined))).toBe(false);
    // Signed by someone else, checked with that someone's key: it says so, and only so.
    const theirs = { ...frame, bsig: await sign(other, batchContent("alice", frame.events)) };
    expect((await decoded(theirs, other.publicKey)).batchKey).toBe(other.publicKey);
    expect("batchKey" in (await decoded(theirs, owner.publicKey))).toBe(false);
  });

  it("any event changed by one character after signing, or the batch's wall changed, loses batchKey", async () => {
    const { owner, frame } = await signedBatch();
    for (let i = 0; i < frame.events.length; i++) {
      const events = frame.events.map((e) => ({ ...e }));
      const body = events[i]!.body as { text: string };
      events[i]!.body = { text: `${body.text.slice(0, -1)}y` };
      const changed = await decoded({ ...frame, events }, owner.publicKey);
      expect(changed.events[i]).toEqual(events[i]); // the change is what was decoded
      expect("batchKey" in changed).toBe(false);
    }
    // Its place: one digit of one seq.
    const moved = frame.events.map((e, i) => (i === 2 ? { ...e, seq: 8 } : e));
    expect("batchKey" in (await decoded({ ...frame, events: moved }, owner.publicKey))).toBe(false);
    // Its wall: the same events said to be another wall's batch.
    const elsewhere = await decoded({ ...frame, wall: "alicf" }, owner.publicKey);
    expect(elsewhere.wall).toBe("alicf");
    expect("batchKey" in elsewhere).toBe(false);
    // Unchanged, it still verifies (the copies above changed nothing else).
    expect((await decoded(frame, owner.publicKey)).batchKey).toBe(owner.publicKey);
  });

  it("a batchKey sent on the wire is never taken over", async () => {
    const { owner, other, frame } = await signedBatch();
    // No bsig at all, a batchKey claimed.
    const { bsig: _, ...unsigned } = frame;
    expect("batchKey" in (await decoded({ ...unsigned, batchKey: owner.publicKey }, owner.publicKey))).toBe(false);
    // A bsig by someone else, and the owner's key claimed.
    const forged = { ...frame, bsig: await sign(other, batchContent("alice", frame.events)), batchKey: owner.publicKey };
    expect("batchKey" in (await decoded(forged, owner.publicKey))).toBe(false);
    // A valid bsig, yet no key to check it with: the wire's claim counts for nothing.
    expect("batchKey" in (await decoded({ ...frame, batchKey: owner.publicKey }, undefined))).toBe(false);
    expect("batchKey" in (await decoded({ ...frame, batchKey: owner.publicKey }, other.publicKey))).toBe(false);
  });

  it("refuses text that is not JSON as not an object, and text too long as too large", async () => {
    expect(await decodeFrame("{t: events", undefined, Date.now())).toEqual({ ok: false, code: "malformed", reason: "frame is not an object" });
    // Too long even when it is a frame the parser would take.
    const long = JSON.stringify({ t: "ping", n: 1, pad: "x".repeat(MAX_FRAME_BYTES) });
    expect(await decodeFrame(JSON.stringify({ t: "ping", n: 1 }), undefined, Date.now())).toMatchObject({ ok: true });
    expect(await decodeFrame(long, undefined, Date.now())).toMatchObject({ ok: false, code: "frame-too-large" });
    expect(await decodeFrame("x".repeat(MAX_FRAME_BYTES + 1), undefined, Date.now())).toMatchObject({ ok: false, code: "frame-too-large" });
  });
});

describe("the owner's own wall, signed batch by batch", () => {
  it("every events frame of alice's catch-up carries her bsig, and bob stores all 1,500 posts", async () => {
    const net = new SimNetwork();
    const { alice, events } = await aliceWithWall(net, 1500);
    const bob = await makeUser(net, "bob");
    const checks = spyCheckFromOwner(bob);
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    await until(() => bob.engine.cursor("alice") >= 1500, 20000, "bob's catch-up");
    const served = [...alice.transport.links]
      .filter((l) => l.peer === "bob")
      .flatMap((l) => l.sent as Frame[])
      .filter((f): f is Events => f.t === "events" && f.wall === "alice");
    expect(served.length).toBeGreaterThan(10);
    for (const frame of served) {
      expect(frame.bsig).toBeDefined();
      expect(await verify(alice.engine.publicKey, batchContent("alice", frame.events), frame.bsig!)).toBe(true);
    }
    expect(served.flatMap((f) => f.events.map((e) => e.seq)).filter((s) => s! <= 1500)).toEqual(events.map((e) => e.seq));
    // bob took each batch as signed by alice (the key he pinned), and stored every post.
    for (const frame of served.filter((f) => f.events.length)) {
      const check = checks.find((c) => c.wall === "alice" && c.ids[0] === frame.events[0]!.id && c.ids.length === frame.events.length);
      expect(check?.batchSigned).toBe(true);
    }
    const held = (await bob.repo.events()).filter((e) => e.wall === "alice" && e.kind === "post");
    expect(new Set(held.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
    expect(bob.engine.wall("alice").filter((p) => p.event.kind === "post")).toHaveLength(1500);
    expect(bob.engine.dropped).toEqual([]);
  }, 30000);
});

describe("a batch signature stands in for nothing else", () => {
  it("a hostile owner's signed batch: an event in a friend's name is still checked against the key I pinned", async () => {
    const net = new SimNetwork();
    const [mallory, bob, carol] = await usersOnline(net, "mallory", "bob", "carol");
    await befriend(mallory, bob);
    await befriend(mallory, carol);
    await befriend(bob, carol);
    await until(() => bob.engine.cursor("mallory") > 0 && bob.engine.cursor("mallory") === mallory.engine.cursor("mallory"), 5000, "mallory's wall at bob's");
    await wait(200);
    const checks = spyCheckFromOwner(bob);
    // Mallory's hand-written client: two posts of hers and one "by carol" (carol's friend bob
    // pinned carol's key), signed with mallory's own key, vouched for in ``keys``, placed by
    // mallory, and the batch signed by mallory, correctly.
    const me = await loadIdentity((await mallory.repo.identity())!);
    const at = mallory.engine.cursor("mallory");
    const mine = (text: string, seq: number) => createEvent(me, "mallory", "mallory", "post", { text }).then((e) => ordered(me, e, seq));
    const forged = await ordered(me, await createEvent(me, "carol", "mallory", "post", { text: "carol never said this" }), at + 2);
    const events = [await mine("mallory one", at + 1), forged, await mine("mallory two", at + 3)];
    const bsig = await sign(me, batchContent("mallory", events));
    const keys = { mallory: me.publicKey, carol: me.publicKey };
    linkOf(mallory, "bob").send({ t: "events", wall: "mallory", events, keys, upto: at + 3, done: true, bsig });

    await until(() => texts(bob, "mallory").includes("mallory two"), 5000, "mallory's batch at bob's");
    // The batch was taken as mallory's (her bsig verified with the key bob pinned for her)…
    expect(checks.find((c) => c.ids.includes(forged.id))?.batchSigned).toBe(true);
    // …her own events with it, the one in carol's name refused.
    expect(texts(bob, "mallory")).toEqual(expect.arrayContaining(["mallory one", "mallory two"]));
    expect(texts(bob, "mallory")).not.toContain("carol never said this");
    expect(bob.engine["parts"].log.event(forged.id)).toBeUndefined();
    expect(bob.engine.dropped.filter((d) => d.code === "bad-signature")).toEqual([
      expect.objectContaining({ from: "mallory", detail: `event ${forged.id} by @carol: signature does not verify` }),
    ]);
    expect((await bob.repo.events()).some((e) => e.id === forged.id)).toBe(false);
  }, 30000);

  it("a carrier's own batch signature does not stand in for the owner's place signatures", async () => {
    const net = new SimNetwork();
    const [alice, bob, carol] = await usersOnline(net, "alice", "bob", "carol");
    await befriend(alice, bob);
    await befriend(alice, carol);
    await befriend(bob, carol);
    const names = (u: User, wall: string, who: string) => u.engine["parts"].log.friendList(wall)?.has(who) ?? false;
    await until(() => names(carol, "alice", "bob"), 8000, "alice's friend list to reach carol");
    bob.transport.goOffline();
    for (let i = 1; i <= 4; i++) await alice.engine.post("alice", `post ${i}`);
    await until(() => texts(carol, "alice").length === 4, 5000, "carol to hold alice's posts");
    alice.transport.goOffline();
    const posts = ([...carol.engine["parts"].log.since("alice", {})] as WallEvent[]).filter((e) => e.kind === "post");
    expect(posts).toHaveLength(4);
    // Carol carries alice's wall to bob, with a hand-written client: she answers no sync herself.
    carol.engine["parts"].wallSync.onSync = () => {};
    const onEvents = bob.engine["parts"].wallSync.onEvents.bind(bob.engine["parts"].wallSync);
    const batchKeys: (string | undefined)[] = [];
    bob.engine["parts"].wallSync.onEvents = (...args: Parameters<typeof onEvents>) => {
      if (args[1] === "alice") batchKeys.push(args[6]);
      return onEvents(...args);
    };
    bob.transport.goOnline();
    await until(() => carol.engine.friends().find((f) => f.handle === "bob")?.connected ?? false, 5000, "bob and carol to meet");
    // Post 2's place signed by carol, not alice; the whole batch signed by carol, correctly.
    const carrier = await loadIdentity((await carol.repo.identity())!);
    const broken = { ...posts[1]!, osig: (await ordered(carrier, posts[1]!, posts[1]!.seq!)).osig };
    const events = [posts[0]!, broken, posts[2]!, posts[3]!];
    const bsig = await sign(carrier, batchContent("alice", events));
    linkOf(carol, "bob").send({ t: "events", wall: "alice", events, keys: { alice: carrier.publicKey }, upto: posts[3]!.seq!, done: true, bsig });

    await until(() => texts(bob, "alice").includes("post 4"), 5000, "carol's batch to be checked");
    // The bsig verified, with the carrier's key, which is not alice's.
    expect(batchKeys).toEqual([carrier.publicKey]);
    expect(texts(bob, "alice")).not.toContain("post 2");
    expect(texts(bob, "alice")).toEqual(expect.arrayContaining(["post 1", "post 3", "post 4"]));
    expect(bob.engine.dropped.filter((d) => d.code === "bad-signature")).toEqual([
      expect.objectContaining({ from: "carol", detail: `event ${broken.id} by @alice: signature or place does not verify` }),
    ]);
    // What came is carol's word until alice confirms it; the gap stays a gap.
    expect(bob.engine.wall("alice").filter((p) => p.event.kind === "post").every((p) => p.via === "carol")).toBe(true);
    expect(bob.engine.cursor("alice")).toBe(posts[0]!.seq);
  }, 30000);
});

/**
 * Watches alice's catch-up to bob, link by link: as each ``events`` frame leaves alice, how many
 * she sent and how much credit had come back; on bob's side, how many frames waited unhandled.
 */
function watchCatchUp(alice: User, bob: User, options: { dropCredit?: boolean } = {}) {
  const stats = { sent: 0, credited: 0, creditSent: 0, creditDropped: 0, worst: 0, sentAt: [] as number[], deepest: 0, done: false, firstDone: 0 };
  onEachLink(alice, (link) => {
    if (link.peer !== "bob") return;
    const mine = { sent: 0, credited: 0 };
    const send = link.send.bind(link);
    link.send = (frame: unknown) => {
      const f = frame as Frame;
      if (f.t === "events" && f.wall === "alice") {
        mine.sent++;
        stats.sent++;
        stats.sentAt.push(Date.now());
        if (f.done && !stats.done) stats.firstDone = stats.sent;
        stats.done ||= f.done;
        // Counted as it goes: what bob has not yet credited, this frame included.
        stats.worst = Math.max(stats.worst, mine.sent - mine.credited);
      }
      return send(frame);
    };
    const deliver = link.onFrame;
    link.onFrame = (raw) => {
      const f = frameOf(raw) as Frame;
      if (f.t === "credit") {
        mine.credited += f.n;
        stats.credited += f.n;
      }
      deliver(raw);
    };
  });
  onEachLink(bob, (link) => {
    if (link.peer !== "alice") return;
    const send = link.send.bind(link);
    link.send = (frame: unknown) => {
      if ((frame as Frame).t !== "credit") return send(frame);
      stats.creditSent += (frame as { n: number }).n;
      if (!options.dropCredit) return send(frame);
      stats.creditDropped++;
      return true; // lost on the way
    };
    const deliver = link.onFrame;
    link.onFrame = (raw) => {
      deliver(raw);
      const inbox = (sessionOn(bob, link) as unknown as { inboxed: number } | undefined)?.inboxed ?? 0;
      stats.deepest = Math.max(stats.deepest, inbox);
    };
  });
  return stats;
}

/**
 * A receiver slower than its sender, as a phone is beside a laptop: each batch takes ``ms`` more
 * to handle (the real handling follows, in the session's order).
 */
function slowReceiver(user: User, ms: number): void {
  const wallSync = user.engine["parts"].wallSync;
  const onEvents = wallSync.onEvents.bind(wallSync);
  wallSync.onEvents = async (...args: Parameters<typeof onEvents>) => {
    if (args[4] !== null) await wait(ms);
    return onEvents(...args);
  };
}

describe("a catch-up only as fast as the receiver handles it", () => {
  it("alice never has more than SEND_WINDOW frames of 3,000 events uncredited, and bob's inbox stays shallow", async () => {
    const net = new SimNetwork();
    const { alice, events } = await aliceWithWall(net, 3000, 3000);
    const bob = await makeUser(net, "bob");
    slowReceiver(bob, 3);
    const stats = watchCatchUp(alice, bob);
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    const flooded = () => [alice, bob].some((u) => u.engine.dropped.some((d) => d.code === "flood"));
    await until(() => bob.engine.cursor("alice") >= 3000 || flooded(), 30000, "bob's catch-up");
    expect(flooded()).toBe(false);
    expect(stats.sent).toBeGreaterThan(20 * SEND_WINDOW);
    // The window was used to the full, never beyond.
    expect(stats.worst).toBe(SEND_WINDOW);
    // bob gave credit for every frame he handled.
    await until(() => stats.credited === stats.sent, 2000, "the last credit");
    expect(stats.creditSent).toBe(stats.sent);
    // An honest catch-up never trips the flood guard: bob's inbox held about a window at most
    // (a ping or a live event may come beside it). Without the window it holds most of the wall.
    expect(stats.deepest).toBeLessThanOrEqual(SEND_WINDOW + 4);
    expect(SEND_WINDOW + 4).toBeLessThan(MAX_INBOX);
    for (const user of [alice, bob]) expect(user.engine.dropped.filter((d) => d.code === "flood")).toEqual([]);
    // One catch-up on one link, from the first frame to the last.
    expect([...alice.transport.links].filter((l) => l.sent.some((f) => (f as Frame).t === "events")).map((l) => l.closed)).toEqual([false]);
    const held = (await bob.repo.events()).filter((e) => e.wall === "alice" && e.kind === "post");
    expect(held).toHaveLength(events.length);
  }, 60000);

  it("a receiver that never gives credit still gets the whole wall, a window every CREDIT_WAIT_MS", async () => {
    const net = new SimNetwork();
    // About two and a half windows of frames.
    const { alice, events } = await aliceWithWall(net, 240, 3000);
    const bob = await makeUser(net, "bob");
    const stats = watchCatchUp(alice, bob, { dropCredit: true });
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    await until(() => stats.done, 15000, "alice's last frame");
    await until(() => bob.engine.cursor("alice") >= 240, 5000, "bob's catch-up");
    expect(stats.credited).toBe(0);
    expect(stats.creditDropped).toBeGreaterThan(0);
    // The catch-up's frames (a later catch-up may follow on the same link).
    const frames = stats.firstDone;
    expect(frames).toBeGreaterThan(2 * SEND_WINDOW);
    expect(frames).toBeLessThanOrEqual(3 * SEND_WINDOW);
    // A window went at once; then alice waited for credit that never came, and sent the next.
    const sentAt = stats.sentAt.slice(0, frames);
    const gaps = sentAt.slice(1).map((t, i) => t - sentAt[i]!);
    const waited = gaps.flatMap((gap, i) => (gap >= CREDIT_WAIT_MS - 100 ? [i + 1] : []));
    expect(waited).toEqual([SEND_WINDOW, 2 * SEND_WINDOW]);
    expect(sentAt.at(-1)! - sentAt[0]!).toBeLessThan(2 * CREDIT_WAIT_MS + 1500);
    const held = (await bob.repo.events()).filter((e) => e.wall === "alice" && e.kind === "post");
    expect(held).toHaveLength(events.length);
  }, 30000);
});

describe("a flood", () => {
  /** alice and bob, friends, and alice's end of the link between them. */
  async function aliceAndBob() {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    await wait(200);
    const link = linkOf(alice, "bob");
    return { alice, link, session: sessionOn(alice, link)! };
  }

  it("a trusted friend's link delivering more than MAX_INBOX frames faster than they are handled is closed", async () => {
    const { alice, link, session } = await aliceAndBob();
    expect(session.trusted).toBe(true);
    // Alice's answers to the pings below (a keepalive ping of bob's carries the time).
    const burst = MAX_INBOX - 12;
    const pongs = () => link.sent.filter((f) => (f as Frame).t === "pong" && (f as { n: number }).n < burst).length;
    // Just below the limit, all at once: each is handled, in turn.
    for (let i = 0; i < burst; i++) link.onFrame(JSON.stringify({ t: "ping", n: i }));
    await until(() => pongs() === burst, 10000, "every ping answered");
    expect(session.closed).toBe(false);
    expect(alice.engine.dropped).toEqual([]);
    // More than the inbox holds at once, well-formed every one: the session cuts the link rather than hold them.
    expect(MAX_INBOX).toBeLessThanOrEqual(4096);
    for (let i = 0; i < MAX_INBOX + 100; i++) link.onFrame(JSON.stringify({ t: "have", walls: {} }));
    expect(session.closed).toBe(true);
    expect(link.closed).toBe(true);
    expect(alice.engine.dropped.filter((d) => d.code === "flood")).toEqual([
      expect.objectContaining({ from: "bob", detail: `more than ${MAX_INBOX} messages waiting to be handled` }),
    ]);
  }, 30000);

  it("binary messages past MAX_INBOX_BYTES at once close the link too, though fewer than MAX_INBOX", async () => {
    const { alice, link, session } = await aliceAndBob();
    const chunk = 64 * 1024;
    const count = Math.ceil(MAX_INBOX_BYTES / chunk) + 10;
    expect(count).toBeLessThan(MAX_INBOX);
    for (let i = 0; i < count; i++) link.onBinary(new ArrayBuffer(chunk));
    expect(session.closed).toBe(true);
    expect(alice.engine.dropped.filter((d) => d.code === "flood")).toEqual([
      expect.objectContaining({ from: "bob", detail: `more than ${MAX_INBOX_BYTES / 1024 / 1024} MiB waiting to be handled` }),
    ]);
  }, 30000);
});

describe("the first posts of a catch-up show early", () => {
  it("the first write comes after FIRST_WRITE events, later ones after CATCH_UP_WRITE", async () => {
    const net = new SimNetwork();
    const { alice, events } = await aliceWithWall(net, 3000, 3000);
    const bob = await makeUser(net, "bob");
    const writes: number[] = [];
    const write = bob.repo.write.bind(bob.repo);
    bob.repo.write = (change: StoreChange) => {
      const of = (change.events ?? []).filter((e) => e.wall === "alice" && e.kind === "post").length;
      if (of) writes.push(of);
      return write(change);
    };
    let biggest = 0;
    onEachLink(bob, (link) => {
      const deliver = link.onFrame;
      link.onFrame = (raw) => {
        const f = frameOf(raw) as Frame;
        if (f.t === "events") biggest = Math.max(biggest, f.events.length);
        deliver(raw);
      };
    });
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    await until(() => bob.engine.wall("alice").some((p) => p.event.kind === "post"), 10000, "bob's first posts");
    // Shown while most of the wall is still to come: the first write's worth, no more.
    const shown = bob.engine.wall("alice").filter((p) => p.event.kind === "post").length;
    expect(shown).toBeGreaterThanOrEqual(FIRST_WRITE);
    expect(shown).toBeLessThan(FIRST_WRITE + biggest);
    expect(shown).toBeLessThan(events.length / 4);
    await until(() => bob.engine.cursor("alice") >= 3000, 20000, "bob's catch-up");
    expect(biggest).toBeGreaterThan(0);
    expect(biggest).toBeLessThan(FIRST_WRITE / 4);
    expect(writes[0]).toBeGreaterThanOrEqual(FIRST_WRITE);
    expect(writes[0]).toBeLessThan(FIRST_WRITE + biggest);
    // Then transactions of CATCH_UP_WRITE, and what is left at the end. (Under a loaded machine a
    // link can drop and a second catch-up start from the cursor: it too writes FIRST_WRITE first.)
    const first = (w: number) => w >= FIRST_WRITE && w < FIRST_WRITE + biggest;
    const full = (w: number) => w >= CATCH_UP_WRITE && w < CATCH_UP_WRITE + biggest;
    expect(writes.filter(full).length).toBeGreaterThanOrEqual(1);
    expect(writes.slice(1, -1).filter((w) => !first(w) && !full(w))).toEqual([]);
    expect(writes.filter(first).length).toBeLessThanOrEqual(2);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(events.length);
  }, 30000);
});
