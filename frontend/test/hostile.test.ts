// A hostile friend or stranger cannot hurt me: each case as a story over the simulated network,
// the attacker speaking raw frames on a real link where the honest app would not.
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, chunksOf } from "../src/media/chunks";
import { createEvent, type PhotoRef, type WallEvent } from "../src/sync/events";
import { PER_FRIEND } from "../src/sync/policy";
import { befriend, makeUser, type SimLink, SimNetwork, type User, until, frameOf } from "./sim";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ``n`` bytes that are a JPEG as far as its signature goes, then noise. */
function jpeg(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  out.set([0xff, 0xd8, 0xff, 0xe0]);
  return out;
}

async function photo(user: User, size: number, seed: number): Promise<PhotoRef> {
  const full = await user.blobs.storeMine(jpeg(size, seed), "image/jpeg");
  const thumb = await user.blobs.storeMine(jpeg(1500, seed + 1), "image/jpeg");
  return { full, thumb, mime: "image/jpeg", w: 800, h: 600 };
}

function linkOf(user: User, peer: string): SimLink {
  return [...user.transport.links].find((l) => l.peer.toLowerCase() === peer.toLowerCase() && !l.closed)!;
}

function sentOfType(link: SimLink, t: string): unknown[] {
  return link.sent.filter((f) => (f as { t: string }).t === t);
}

async function online(...users: User[]): Promise<void> {
  for (const u of users) u.transport.goOnline();
}

describe("one person whatever the letter case", () => {
  it("someone I blocked cannot ask again under another spelling", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    await online(alice, bob);
    await befriend(alice, bob);
    await alice.engine.block("bob");
    bob.transport.goOffline();
    // The same person, spelled BOB (the broker refuses that spelling; this app must not care).
    const shouting = await makeUser(net, "BOB");
    shouting.transport.goOnline();
    await shouting.engine.addFriend("alice");
    await wait(300);
    expect(alice.engine.friends().map((f) => [f.handle, f.state])).toEqual([["bob", "blocked"]]);
    expect(alice.engine.friend("bob")?.state).toBe("blocked");
    expect(alice.engine.friend("BOB")?.state).toBe("blocked");
  });

  it("an impostor spelled like my friend cannot write in their name on another wall", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    const carol = await makeUser(net, "carol");
    await online(alice, bob, carol);
    await befriend(alice, bob);
    await befriend(alice, carol);
    // Bob posts on his own wall as "CAROL", signed with his own key, and vouches for it.
    const forged = await createEvent(bob.engine["options"].identity, "CAROL", "bob", "post", { text: "carol never said this" });
    linkOf(bob, "alice").send({ t: "event", event: { ...forged, seq: 1 }, keys: { CAROL: bob.engine.publicKey } });
    await until(() => alice.dropped.some((d) => d.includes("signature does not verify")), 5000, "the forgery to be dropped");
    expect(alice.engine.wall("bob")).toEqual([]);
  });
});

describe("budgets per friend", () => {
  it("a flood of posts on my wall stops at the friend's budget; nothing is lost, the rest waits", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    const carol = await makeUser(net, "carol");
    await online(alice, bob, carol);
    await befriend(alice, bob);
    await befriend(alice, carol);
    const link = linkOf(bob, "alice");
    // Bob's hand-written client: a thousand signed posts for alice's wall, as fast as it can.
    const identity = bob.engine["options"].identity;
    for (let i = 0; i < 1000; i++) link.send({ t: "deliver", event: await createEvent(identity, "bob", "alice", "post", { text: `spam ${i}` }) });
    await until(() => sentOfType(linkOf(alice, "bob"), "nack").length + sentOfType(linkOf(alice, "bob"), "ack").length >= 1000, 20000, "every delivery answered");
    expect(alice.engine.wall("alice")).toHaveLength(PER_FRIEND.deliveriesPerMinute);
    expect(sentOfType(linkOf(alice, "bob"), "nack").every((f) => (f as { reason: string }).reason === "over-quota")).toBe(true);
    // Only what alice took reached her other friends.
    await until(() => carol.engine.wall("alice").length === PER_FRIEND.deliveriesPerMinute, 5000, "carol to sync");
    await wait(100);
    expect(carol.engine.wall("alice")).toHaveLength(PER_FRIEND.deliveriesPerMinute);

    // An honest friend over the budget loses nothing: the rest stays pending for later.
    const dave = await makeUser(net, "dave");
    dave.transport.goOnline();
    await befriend(alice, dave);
    for (let i = 0; i < PER_FRIEND.deliveriesPerMinute + 5; i++) await dave.engine.post("alice", `dave ${i}`);
    await until(() => dave.engine.pendingCount() === 5, 10000, "five to wait");
    await wait(200);
    expect(dave.engine.pendingCount()).toBe(5);
  }, 60000);

  it("a repeated sync request is answered once, however often it comes", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    await online(alice, bob);
    await befriend(alice, bob);
    for (let i = 0; i < 30; i++) await alice.engine.post("alice", `post ${i} ${"x".repeat(300)}`);
    await until(() => bob.engine.cursor("alice") === 30, 5000, "bob's catch-up");
    const served = sentOfType(linkOf(alice, "bob"), "events").length;
    for (let i = 0; i < 200; i++) linkOf(bob, "alice").send({ t: "sync", wall: "alice", since: 0 });
    await wait(500);
    // One more answer at most (the first request since 0 on this link), not 200.
    expect(sentOfType(linkOf(alice, "bob"), "events").length - served).toBeLessThanOrEqual(2);
    expect(alice.engine.dropped.filter((d) => d.code === "repeated-sync").length).toBeGreaterThanOrEqual(190);
  });

  it("a friend's photos on my wall count against them, and freeing space frees them", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    await online(alice, bob);
    await befriend(alice, bob);
    const refs = [await photo(bob, 3 * CHUNK_BYTES, 1), await photo(bob, 2 * CHUNK_BYTES, 2)];
    await bob.engine.post("alice", "two for you", refs);
    await until(() => refs.every((r) => alice.blobs.status(r.full).state === "stored"), 10000, "alice to keep them");
    const use = await alice.repo.storageUse();
    expect(use.byFriend.bob).toBe(5 * CHUNK_BYTES + 2 * 1500);
    expect(use.mine).toBe(0);
    expect(await alice.repo.freeCachedBlobs()).toBe(5 * CHUNK_BYTES + 2 * 1500);
    expect((await alice.repo.storageUse()).byFriend).toEqual({});
  });
});

describe("photos", () => {
  it("a photo of another friend's wall is not handed to whoever posts its hash on mine", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    const carol = await makeUser(net, "carol");
    await online(alice, bob, carol);
    await befriend(alice, bob);
    await befriend(alice, carol); // bob and carol are not friends
    const ref = await photo(carol, 2 * CHUNK_BYTES, 3);
    await carol.engine.post("carol", "only for my friends", [ref]);
    await until(() => alice.engine.wall("carol").length === 1, 5000, "alice to sync carol's wall");
    await alice.blobs.show(ref.full);
    await until(() => alice.blobs.status(ref.full).state === "stored", 10000, "alice to fetch the full image");
    // Bob learned the hash; he posts it on alice's wall and asks for the bytes.
    await bob.engine.post("alice", "look what I found", [ref]);
    await until(() => alice.engine.wall("alice").length === 1, 5000, "his post to reach alice's wall");
    await bob.blobs.show(ref.full);
    await until(() => bob.blobs.status(ref.full).state === "failed", 10000, "alice to refuse");
    expect(await bob.repo.hasBlob(ref.full)).toBe(false);
    const nones = sentOfType(linkOf(alice, "bob"), "blob-none") as { hash: string; reason: string }[];
    expect(nones.filter((f) => f.hash === ref.full).map((f) => f.reason)).toContain("not-shared");
    // Nor does his post make carol's photo one alice keeps for good, counted against him.
    const info = await alice.repo.blobInfo(ref.full);
    expect(info).toMatchObject({ mine: false, wall: "carol" });
    expect(info?.by).toBeUndefined();
    expect((await alice.repo.storageUse()).byFriend.bob).toBeUndefined();
  }, 30000);

  it("refuses a photo announced too large, and bytes that are not the image they claim", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const mallory = await makeUser(net, "mallory");
    await online(alice, mallory);
    await befriend(alice, mallory);
    // Mallory's post names a "photo" whose bytes are a text file: the hash matches, the type does not.
    const text = new TextEncoder().encode("not an image at all ".repeat(200));
    const junk = await mallory.blobs.storeMine(text, "image/jpeg");
    const ref = { full: junk, thumb: junk, mime: "image/jpeg", w: 10, h: 10 } as PhotoRef;
    await mallory.engine.post("mallory", "a picture", [ref]);
    await until(() => alice.blobs.status(junk).state === "failed", 10000, "the junk to be refused");
    expect(alice.blobs.status(junk)).toMatchObject({ state: "failed", problem: { code: "not-an-image" } });
    expect(await alice.repo.hasBlob(junk)).toBe(false);

    // Announcing a thumbnail of 100 MB is refused before a byte is kept.
    const big = await photo(mallory, 1000, 9);
    const link = linkOf(mallory, "alice");
    const real = link.onFrame;
    link.onFrame = (frame) => {
      const f = frameOf(frame) as { t: string; hash?: string };
      if (f.t === "blob-get" && f.hash === big.thumb) return void link.send({ t: "blob-info", hash: f.hash, size: 100 * 1024 * 1024, mime: "image/jpeg" });
      real(frame);
    };
    await mallory.engine.post("mallory", "a big one", [big]);
    await until(() => alice.blobs.status(big.thumb).state === "failed", 10000, "the announcement to be refused");
    expect(alice.blobs.status(big.thumb)).toMatchObject({ state: "failed", problem: { code: "too-large" } });
  }, 30000);

  /** carol's photo on bob's wall, kept by bob; alice, a friend of both, gives up on a source in 0.3 s. */
  async function photoOnBobsWall() {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice", new IDBFactory(), 300);
    const bob = await makeUser(net, "bob");
    const carol = await makeUser(net, "carol");
    await online(alice, bob, carol);
    await befriend(alice, bob);
    await befriend(alice, carol);
    await befriend(bob, carol);
    const ref = await photo(carol, 4 * CHUNK_BYTES, 4);
    await carol.engine.post("bob", "for bob's wall", [ref]);
    await until(() => bob.blobs.status(ref.full).state === "stored", 10000, "bob to keep it");
    return { alice, bob, carol, ref };
  }

  it("a source that announces a photo and sends nothing is left for another", async () => {
    const { alice, bob, ref } = await photoOnBobsWall();
    // Bob stalls: he announces it and then sends nothing.
    const link = linkOf(bob, "alice");
    const real = link.onFrame;
    link.onFrame = (frame) => {
      const f = frameOf(frame) as { t: string; hash?: string };
      if (f.t === "blob-get" && f.hash === ref.full) return void link.send({ t: "blob-info", hash: f.hash, size: 4 * CHUNK_BYTES, mime: "image/jpeg" });
      real(frame);
    };
    await until(() => alice.engine.wall("bob").length === 1, 5000, "alice to sync bob's wall");
    await alice.blobs.show(ref.full);
    await until(() => alice.blobs.status(ref.full).state === "stored", 10000, "carol to send it instead");
    expect(alice.dropped.join("\n")).toMatch(/nothing for 0.3 s/);
    const gets = sentOfType(linkOf(alice, "carol"), "blob-get") as { hash: string }[];
    expect(gets.some((g) => g.hash === ref.full)).toBe(true);
  }, 30000);

  it("a source that never answers a photo request is left for another", async () => {
    const { alice, bob, ref } = await photoOnBobsWall();
    // Bob swallows alice's photo requests without a word.
    const link = linkOf(bob, "alice");
    const real = link.onFrame;
    link.onFrame = (frame) => {
      if ((frameOf(frame) as { t: string; hash?: string }).hash === ref.full) return;
      real(frame);
    };
    await until(() => alice.engine.wall("bob").length === 1, 5000, "alice to sync bob's wall");
    await alice.blobs.show(ref.full);
    await until(() => alice.blobs.status(ref.full).state === "stored", 10000, "carol to send it instead");
  }, 30000);

  it("the sender waits while the link's buffer is full", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    await online(alice, bob);
    await befriend(alice, bob);
    const ref = await photo(alice, 200 * CHUNK_BYTES, 5); // 12.5 MiB, far above the high-water mark
    await alice.engine.post("alice", "a big one", [ref]);
    await until(() => bob.engine.wall("alice").length === 1);
    await bob.blobs.show(ref.full);
    await until(() => bob.blobs.status(ref.full).state === "stored", 20000, "the transfer");
    const link = linkOf(alice, "bob");
    // Never much more than the high-water mark (2 MiB) and a chunk in flight.
    expect(link.maxBuffered).toBeGreaterThan(1024 * 1024);
    expect(link.maxBuffered).toBeLessThan(2 * 1024 * 1024 + 2 * CHUNK_BYTES);
  }, 30000);
});

describe("what a friend's wall may not do to mine", () => {
  it("a post dated a day ahead does not stay on top of the feed", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    await online(alice, bob);
    await befriend(alice, bob);
    const identity = bob.engine["options"].identity;
    const ahead = await createEvent(identity, "bob", "bob", "post", { text: "from tomorrow" }, Date.now() + 23 * 3600_000);
    linkOf(bob, "alice").send({ t: "event", event: { ...ahead, seq: 1 } as WallEvent, keys: {} });
    await until(() => alice.engine.wall("bob").length === 1, 5000, "the post from the future");
    await wait(20);
    await alice.engine.post("alice", "written after it arrived");
    expect(alice.engine.feed().map((i) => i.post.event.body.text)).toEqual(["written after it arrived", "from tomorrow"]);
  });

  it("a wall's owner cannot vouch into my sight someone I blocked", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    const mallory = await makeUser(net, "mallory");
    await online(alice, bob, mallory);
    await befriend(alice, mallory);
    await alice.engine.block("mallory");
    await befriend(alice, bob);
    await befriend(bob, mallory);
    await mallory.engine.post("bob", "hello from someone alice blocked");
    await until(() => bob.engine.wall("bob").length === 1, 5000, "mallory's post on bob's wall");
    await bob.engine.post("bob", "bob's own");
    await until(() => alice.engine.wall("bob").length === 1, 5000, "bob's own post");
    await wait(200);
    expect(alice.engine.wall("bob").map((p) => p.event.body.text)).toEqual(["bob's own"]);
    expect(alice.engine.dropped.some((d) => d.code === "blocked-author")).toBe(true);
  });

  it("a friend request does not make me watch a stranger back", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const stranger = await makeUser(net, "stranger");
    await online(alice, stranger);
    await stranger.engine.addFriend("alice");
    await until(() => alice.engine.friend("stranger")?.state === "requested-in", 5000, "the request");
    // Alice's watch list is sent anew (she makes a friend, her broker link comes back): still not him.
    const carol = await makeUser(net, "carol");
    carol.transport.goOnline();
    await befriend(alice, carol);
    alice.transport.goOffline();
    alice.transport.goOnline();
    await until(() => alice.transport.watching.has("carol"), 5000, "alice to watch carol");
    expect(alice.transport.watching.has("stranger")).toBe(false);
    expect(alice.engine.friends().find((f) => f.handle === "stranger")).toMatchObject({ state: "requested-in", online: false });
  });
});

describe("notifications", () => {
  it("a request, an acceptance, a post on my wall, a comment and a like on my post", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    const carol = await makeUser(net, "carol");
    await online(alice, bob, carol);
    await bob.engine.addFriend("alice");
    await until(() => alice.engine.notices().some((n) => n.kind === "friend-request"), 5000, "the request notice");
    await alice.engine.accept("bob");
    await alice.engine.addFriend("carol");
    await until(() => carol.engine.friend("alice")?.state === "requested-in", 5000, "alice's request to carol");
    await carol.engine.accept("alice");
    await until(() => alice.engine.notices().some((n) => n.kind === "friend-accepted"), 5000, "the acceptance notice");
    const mine = await alice.engine.post("alice", "my post");
    await until(() => bob.engine.wall("alice").length === 1 && carol.engine.wall("alice").length === 1, 5000, "the post to sync");
    await bob.engine.post("alice", "hi alice");
    await carol.engine.comment("alice", mine.id, "nice");
    await bob.engine.like("alice", mine.id, true);
    await until(() => alice.engine.notices().length === 5, 5000, "five notices");
    expect(alice.engine.notices().map((n) => `${n.kind} ${n.who}`).sort()).toEqual(
      ["comment-on-my-post carol", "friend-accepted carol", "friend-request bob", "like-on-my-post bob", "post-on-my-wall bob"].sort(),
    );
    expect(alice.engine.unseenNotices()).toBe(5);
    await alice.engine.markNoticesSeen();
    expect(alice.engine.unseenNotices()).toBe(0);
  });
});
