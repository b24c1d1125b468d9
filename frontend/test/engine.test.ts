import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { createEvent } from "../src/sync/events";
import { loadIdentity, generateIdentity } from "../src/crypto/identity";
import { befriend, makeUser, SimLink, SimNetwork, until, usersOnline } from "./sim";

describe("friends", () => {
  it("a request sent while the other is offline arrives when they come online", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    expect(await alice.engine.addFriend("@Bob")).toContain("@bob");
    expect(alice.engine.friend("bob")?.state).toBe("requested-out");
    await new Promise((r) => setTimeout(r, 50)); // the first dial finds bob offline
    bob.transport.goOnline(); // alice retries with backoff and reaches bob
    await until(() => bob.engine.friend("alice")?.state === "requested-in", 8000, "the request");
    await bob.engine.accept("alice");
    await until(() => alice.engine.isFriend("bob"), 5000, "alice to see the acceptance");
    // Both pinned the key the other proved.
    expect(alice.engine.friend("bob")?.key).toBe(bob.engine.publicKey);
    expect(bob.engine.friend("alice")?.key).toBe(alice.engine.publicKey);
  });

  it("says clearly when a handle does not exist or is me", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    alice.transport.goOnline();
    await expect(alice.engine.addFriend("nobody_here")).rejects.toThrow("There is no one called @nobody_here");
    await expect(alice.engine.addFriend("alice")).rejects.toThrow("That is you");
    await expect(alice.engine.addFriend("bad handle!")).rejects.toThrow("A handle is");
  });

  it("decline stops the requests; block drops the link", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await alice.engine.addFriend("bob");
    await until(() => bob.engine.friend("alice")?.state === "requested-in");
    await bob.engine.decline("alice");
    await until(() => alice.engine.friend("bob")?.state === "declined", 5000, "the decline");
    expect(bob.engine.friends()).toEqual([]);

    const carol = await makeUser(net, "carol");
    carol.transport.goOnline();
    await befriend(alice, carol);
    await carol.engine.block("alice");
    await until(() => !alice.engine.isFriend("carol"), 5000, "alice to lose carol");
    expect(carol.engine.friend("alice")?.state).toBe("blocked");
  });
});

describe("walls", () => {
  it("posts, comments, likes and deletes sync live between friends", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);

    const own = await alice.engine.post("alice", "hello from alice");
    await until(() => bob.engine.wall("alice").length === 1, 5000, "bob to see alice's post");
    const onBobs = await alice.engine.post("bob", "hi bob, on your wall");
    expect(alice.engine.isPending(onBobs.id)).toBe(true);
    await until(() => !alice.engine.isPending(onBobs.id), 5000, "the delivery to be acknowledged");
    expect(bob.engine.wall("bob").map((p) => p.event.body.text)).toEqual(["hi bob, on your wall"]);

    await bob.engine.comment("alice", own.id, "nice one");
    await bob.engine.like("alice", own.id, true);
    await until(() => alice.engine.wall("alice")[0]?.likes.includes("bob") ?? false, 5000, "the like");
    await until(() => alice.engine.wall("alice")[0]?.comments.length === 1, 5000, "the comment");
    await until(() => bob.engine.wall("alice")[0]?.comments.length === 1, 5000, "bob to see his comment served back");

    // The wall's owner deletes bob's post on her wall... no: bob's wall is bob's. Bob deletes alice's post on his wall.
    await bob.engine.remove("bob", onBobs.id);
    await until(() => alice.engine.wall("bob").length === 0, 5000, "the delete to reach alice");
    await expect(alice.engine.comment("bob", onBobs.id, "too late")).rejects.toThrow("deleted");
  });

  it("delivers posts written for an offline friend when both are online again", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    bob.transport.goOffline();
    await until(() => !alice.engine.friends()[0]!.online, 5000, "bob to look offline");

    const a = await alice.engine.post("bob", "while you were away");
    const b = await alice.engine.post("bob", "and another");
    expect(alice.engine.pendingCount()).toBe(2);
    expect(alice.engine.wall("bob").every((p) => p.pending)).toBe(true);

    bob.transport.goOnline();
    await until(() => alice.engine.pendingCount() === 0, 8000, "the outbox to empty");
    expect(bob.engine.wall("bob").map((p) => p.event.id).sort()).toEqual([a.id, b.id].sort());
    expect(alice.engine.wall("bob").some((p) => p.pending)).toBe(false);
  });

  it("catches up a whole wall in batches on reconnect, from the cursor", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    await alice.engine.post("alice", "before");
    await until(() => bob.engine.cursor("alice") === 1);
    bob.transport.goOffline();
    for (let i = 0; i < 300; i++) await alice.engine.post("alice", `post ${i} ${"x".repeat(200)}`);
    bob.transport.goOnline();
    await until(() => bob.engine.cursor("alice") === 301, 15000, "the catch-up");
    expect(bob.engine.wall("alice")).toHaveLength(301);
    // The request asked only for what bob lacked.
    const link = [...bob.transport.links].find((l: SimLink) => l.peer === "alice" && !l.closed)!;
    const syncs = link.sent.filter((f) => (f as { t: string }).t === "sync");
    expect(syncs[0]).toEqual({ t: "sync", wall: "alice", since: { "": 1 } });
  }, 30000);

  it("my own wall works with nobody online", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const p = await alice.engine.post("alice", "alone");
    await alice.engine.like("alice", p.id, true);
    await alice.engine.comment("alice", p.id, "talking to myself");
    expect(alice.engine.wall("alice")[0]).toMatchObject({ likes: ["alice"], pending: false });
  });

  it("keeps everything across a restart (the store is the truth)", async () => {
    const net = new SimNetwork();
    const factory = new IDBFactory();
    const alice = await makeUser(net, "alice", factory);
    await alice.engine.post("alice", "persisted");
    alice.repo.close();
    const again = await makeUser(new SimNetwork(), "alice", factory);
    expect(again.engine.wall("alice").map((p) => p.event.body.text)).toEqual(["persisted"]);
    expect(again.engine.publicKey).toBe(alice.engine.publicKey);
  });
});

describe("hostile friends", () => {
  it("drops forged authors, bad signatures and frames out of turn, and stores nothing", async () => {
    const net = new SimNetwork();
    const [alice, bob, carol] = await usersOnline(net, "alice", "bob", "carol");
    await befriend(alice, bob);
    await befriend(alice, carol);
    const carolsPost = await carol.engine.post("carol", "carol's own post");
    await until(() => alice.engine.wall("carol").length === 1);

    // Bob turns hostile: he speaks raw frames on his link to alice.
    const link = [...bob.transport.links].find((l) => l.peer === "alice" && !l.closed)!;
    const mallory = await loadIdentity(await generateIdentity());
    const forged = await createEvent(mallory, "carol", "bob", "post", { text: "carol never wrote this" });
    const badSig = { ...(await createEvent(mallory, "bob", "bob", "post", { text: "<img src=x onerror=alert(1)>" })), seq: 99 };
    const before = alice.dropped.length;
    link.send({ t: "events", wall: "bob", events: [{ ...forged, seq: 50 }], keys: { carol: mallory.publicKey }, upto: 50, done: true });
    link.send({ t: "event", event: badSig, keys: {} });
    link.send({ t: "deliver", event: { ...forged, wall: "alice" } });
    link.send({ t: "events", wall: "carol", events: [{ ...carolsPost, seq: 2, body: { text: "edited by bob" } }], keys: {}, upto: 2, done: true });
    link.send({ t: "script", payload: "<script>alert(1)</script>" });
    link.send({ t: "hello", v: 1, handle: "carol", key: mallory.publicKey, nonce: "n".repeat(20) });
    await until(() => alice.dropped.length >= before + 6, 5000, "six drops");
    expect(alice.engine.wall("bob")).toEqual([]);
    expect(alice.engine.wall("alice")).toEqual([]);
    expect(alice.engine.wall("carol").map((p) => p.event.body.text)).toEqual(["carol's own post"]);
    expect(alice.dropped.slice(before).join("\n")).toMatch(/signature does not verify/);
    // The link survives: an honest frame afterwards still works.
    await bob.engine.post("bob", "honest again");
    await until(() => alice.engine.wall("bob").length === 1, 5000, "the honest post");
  });

  it("a friend whose key changed is not trusted until confirmed", async () => {
    const net = new SimNetwork();
    const [alice, bob, carol] = await usersOnline(net, "alice", "bob", "carol");
    await befriend(alice, bob);
    await befriend(alice, carol);
    bob.transport.goOffline();
    // Bob comes back from a fresh browser with a new key (and no backup), and asks again.
    const bob2 = await makeUser(net, "bob");
    await bob2.engine.post("bob", "new me");
    bob2.transport.goOnline();
    await bob2.engine.addFriend("alice");
    await until(() => alice.engine.friends().find((f) => f.handle === "bob")?.keyChanged === true, 8000, "the key change");
    // Alice writes for her friends. Carol, trusted, gets it; by then a trusted bob2 would have too.
    const secret = await alice.engine.post("alice", "for my friends only");
    await until(() => carol.engine.wall("alice").some((p) => p.event.id === secret.id), 5000, "carol to get alice's post");
    expect(bob2.engine.wall("alice")).toEqual([]);
    expect(alice.engine.wall("bob")).toEqual([]);
    // Confirmed (after comparing safety numbers): from then on both walls flow.
    await alice.engine.confirmKey("bob");
    expect(alice.engine.friend("bob")?.key).toBe(bob2.engine.publicKey);
    await until(() => alice.engine.wall("bob").some((p) => p.event.body.text === "new me"), 5000, "bob's new post");
    await until(() => bob2.engine.wall("alice").some((p) => p.event.id === secret.id), 5000, "alice's wall to bob");
  }, 30000);

  it("a confirmed new key starts the friend's wall anew: their new posts arrive, though I held the old wall", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    for (const u of [alice, bob]) u.transport.goOnline();
    await befriend(alice, bob);
    for (const text of ["old 1", "old 2"]) {
      await bob.engine.post("bob", text);
      await new Promise((r) => setTimeout(r, 5)); // kept history is ordered by time: not within one ms
    }
    await until(() => alice.engine.wall("bob").length === 2, 5000, "bob's old wall");
    await alice.engine.markRead("bob");
    bob.transport.goOffline();
    // His new browser numbers his wall from 1 again: "new 1" has the seq "old 1" had.
    const bob2 = await makeUser(net, "bob");
    await bob2.engine.post("bob", "new 1");
    bob2.transport.goOnline();
    await bob2.engine.addFriend("alice");
    await until(() => alice.engine.friends().find((f) => f.handle === "bob")?.keyChanged === true, 8000, "the key change");
    await alice.engine.confirmKey("bob");
    await until(() => alice.engine.wall("bob").some((p) => p.event.body.text === "new 1"), 5000, "bob's post from before the confirmation");
    // The old wall is kept, below the new one, and what is new counts as unread.
    expect(alice.engine.wall("bob").map((p) => p.event.body.text)).toEqual(["new 1", "old 2", "old 1"]);
    expect(alice.engine.unread("bob")).toBe(1);
    // A later catch-up starts from the new wall's numbering too.
    alice.transport.goOffline();
    await bob2.engine.post("bob", "new 2");
    alice.transport.goOnline();
    await until(() => alice.engine.wall("bob").some((p) => p.event.body.text === "new 2"), 8000, "bob's post from while alice was away");
    expect(alice.engine.wall("bob").map((p) => p.event.body.text)).toEqual(["new 2", "new 1", "old 2", "old 1"]);
  }, 30000);
});
