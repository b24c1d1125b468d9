// Several devices per handle, in the simulated network: linking with the one-time code, each
// device writing in its own stream, the devices and friends converging on one wall, the same
// write placed twice, and a browser restored from the recovery phrase getting its wall and its
// friends back from a friend.
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { linkWithCode, LinkRefused } from "../src/app/linkClient";
import { identityFromPhrase } from "../src/crypto/recoveryPhrase";
import { openDatabase } from "../src/store/db";
import { Repository } from "../src/store/repository";
import { createEvent, streamOf, type WallEvent } from "../src/sync/events";
import { Devices } from "../src/sync/state/devices";
import { befriend, makeUser, type SimNetwork as Net, SimNetwork, type User, until } from "./sim";

const texts = (user: User, wall: string) => user.engine.wall(wall).map((p) => p.event.body.text);

/** A new browser of ``handle`` linked with the code ``from`` shows, as device ``device``. */
async function link(net: Net, from: User, device: string, code = from.engine.offerLink().code): Promise<User> {
  const factory = new IDBFactory();
  const repo = new Repository(await openDatabase(from.handle, factory));
  const transport = net.transport(from.handle, device);
  const linked = linkWithCode(transport, from.handle, code, "Phone", 5000);
  transport.goOnline();
  const { identity, devices } = await linked;
  transport.goOffline();
  await repo.saveIdentity({ id: "me", ...identity });
  await (await Devices.open(repo, device, Date.now, "Phone")).merge(devices);
  repo.close();
  const user = await makeUser(net, from.handle, factory, undefined, device);
  user.transport.goOnline();
  return user;
}

async function aliceAndBob() {
  const net = new SimNetwork();
  const alice = await makeUser(net, "alice", new IDBFactory(), undefined, "lap");
  const bob = await makeUser(net, "bob", new IDBFactory(), undefined, "b1");
  alice.transport.goOnline();
  bob.transport.goOnline();
  await befriend(alice, bob);
  return { net, alice, bob };
}

/** alice and bob, friends, and a phone linked to alice's laptop that knows bob already. */
async function withPhone() {
  const pair = await aliceAndBob();
  const phone = await link(pair.net, pair.alice, "ph1");
  await until(() => phone.engine.isFriend("bob"), 5000, "the phone to know bob");
  return { ...pair, phone };
}

describe("linking a device", () => {
  it("hands over the key with the code, then both devices keep one wall with bob", async () => {
    const { net, alice, bob } = await aliceAndBob();
    await alice.engine.post("alice", "before the phone");
    const phone = await link(net, alice, "ph1");
    expect(phone.engine.publicKey).toBe(alice.engine.publicKey);
    await until(() => texts(phone, "alice").includes("before the phone"), 5000, "the phone to catch up my wall");
    // The phone knows my friends (from my laptop), and bob trusts it with the key he pinned.
    await until(() => phone.engine.isFriend("bob"), 5000, "my friends on the phone");
    await phone.engine.post("alice", "from the phone");
    await alice.engine.post("alice", "from the laptop");
    await bob.engine.post("alice", "bob on alice's wall");
    for (const [who, user] of [["laptop", alice], ["phone", phone], ["bob", bob]] as const)
      await until(
        () => ["from the phone", "from the laptop", "bob on alice's wall", "before the phone"].every((t) => texts(user, "alice").includes(t)),
        8000,
        `${who} to hold all four posts`,
      );
    // One wall, in one order, on every browser; no key warning anywhere.
    expect(texts(phone, "alice")).toEqual(texts(alice, "alice"));
    expect(texts(bob, "alice")).toEqual(texts(alice, "alice"));
    expect(bob.engine.friend("alice")?.changedKey).toBeUndefined();
    expect(alice.engine.devices().map((d) => d.id).sort()).toEqual(["lap", "ph1"]);
    expect(alice.engine.devices().find((d) => d.id === "ph1")?.name).toBe("Phone");
    expect(alice.engine.linkOffer()?.status).toBe("linked");
    // A post from bob on his own wall reaches both of my devices.
    await bob.engine.post("bob", "bob's own news");
    await until(() => texts(alice, "bob").includes("bob's own news") && texts(phone, "bob").includes("bob's own news"), 5000, "bob's post on both");
  }, 30000);

  it("refuses a wrong code in plain words, and a code is spent after three wrong tries", async () => {
    const { net, alice } = await aliceAndBob();
    const { code } = alice.engine.offerLink();
    const wrong = code.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    for (let i = 0; i < 3; i++) await expect(link(net, alice, `w${i}`, wrong)).rejects.toThrow("That code is not the one your other device shows");
    expect(alice.engine.linkOffer()?.status).toBe("spent");
    await expect(link(net, alice, "late", code)).rejects.toThrow("used already");
    await expect(link(net, alice, "typo", "7K3Q")).rejects.toThrow(LinkRefused);
  }, 30000);
});

describe("writing from several devices", () => {
  it("two devices writing apart never share a place, and converge when they meet", async () => {
    const { alice, bob, phone } = await withPhone();
    const shared = await alice.engine.post("alice", "before we part");
    await until(() => texts(phone, "alice").includes("before we part"), 5000, "the shared post");
    // Apart: the laptop offline while the phone writes, and the other way round.
    alice.transport.goOffline();
    for (let i = 0; i < 5; i++) await phone.engine.post("alice", `phone ${i}`);
    phone.transport.goOffline();
    for (let i = 0; i < 5; i++) await alice.engine.post("alice", `laptop ${i}`);
    const like = await alice.engine.like("alice", shared.id, true);
    alice.transport.goOnline();
    phone.transport.goOnline();
    await until(() => texts(alice, "alice").length === 11 && texts(phone, "alice").length === 11, 8000, "the devices to meet");
    await until(() => texts(bob, "alice").length === 11, 8000, "bob to hold both streams");
    expect(texts(phone, "alice")).toEqual(texts(alice, "alice"));
    expect(texts(bob, "alice")).toEqual(texts(alice, "alice"));
    // Each place once: the (stream, seq) pairs are unique, and each device wrote its own stream.
    const held = [...phone.engine["parts"].log.wallEvents("alice")] as WallEvent[];
    const places = held.map((e) => `${streamOf(e)}:${e.seq}`);
    expect(new Set(places).size).toBe(places.length);
    expect(new Set(held.filter((e) => e.kind === "post").map(streamOf))).toEqual(new Set(["lap", "ph1"]));
    // The like from the laptop applies on the phone too; no gap anywhere.
    await until(() => phone.engine.wall("alice").some((p) => p.likes.includes("alice")), 5000, "the like");
    expect(phone.engine["parts"].log.top("alice")).toBe(phone.engine.cursor("alice"));
    expect(bob.engine["parts"].log.top("alice")).toBe(bob.engine.cursor("alice"));
    expect(like.id).toBeTruthy();
  }, 30000);

  it("a friend's write placed by two devices at once is one post, and no stream is left with a gap", async () => {
    const { alice, bob, phone } = await withPhone();
    alice.transport.goOffline();
    phone.transport.goOffline();
    // Bob's one write reaches each device by its own path while they are apart.
    const write = await createEvent(bob.engine["options"].identity, "bob", "alice", "post", { text: "twice handed" });
    const delivery = (u: User) => u.engine["parts"].delivery as { onDeliver(s: unknown, e: unknown): Promise<void> };
    const fakeSession = { peer: "bob", device: "b1", own: false, send: () => true };
    await delivery(alice).onDeliver(fakeSession, write);
    await delivery(phone).onDeliver(fakeSession, write);
    await phone.engine.post("alice", "after, on the phone");
    alice.transport.goOnline();
    phone.transport.goOnline();
    for (const user of [alice, phone])
      await until(() => texts(user, "alice").includes("after, on the phone"), 8000, "the devices to meet");
    for (const user of [alice, phone, bob]) {
      await until(() => texts(user, "alice").filter((t) => t === "twice handed").length === 1, 8000, "the write once");
      // Both places count as held: the streams run on without a gap.
      expect(user.engine["parts"].log.top("alice")).toBe(user.engine.cursor("alice"));
    }
  }, 30000);
});

describe("friends and my several devices", () => {
  it("unfriending on one device holds on the other, also after they meet again", async () => {
    const { alice, bob, phone } = await withPhone();
    await alice.engine.unfriend("bob");
    await until(() => phone.engine.friend("bob") === undefined, 5000, "the phone to forget bob");
    phone.transport.goOffline();
    phone.transport.goOnline();
    await until(() => alice.engine.devices().some((d) => d.id === "ph1" && d.online), 5000, "the devices to meet again");
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.engine.friend("bob")).toBeUndefined();
    expect(phone.engine.friend("bob")).toBeUndefined();
    // Friends again later: that is newer than the forgetting, and it spreads too.
    await befriend(phone, bob);
    await until(() => alice.engine.isFriend("bob"), 5000, "the laptop to hear of it");
  }, 30000);

  it.each([
    ["the laptop", "the phone"],
    ["the phone", "the laptop"],
  ])("a friend's waiting write goes to one of my devices, so it has one place (%s back first)", async (first) => {
    const { alice, bob, phone } = await withPhone();
    alice.transport.goOffline();
    phone.transport.goOffline();
    const write = await bob.engine.post("alice", "waiting for alice");
    expect(bob.engine.isPending(write.id)).toBe(true);
    for (const device of first === "the laptop" ? [alice, phone] : [phone, alice]) device.transport.goOnline();
    await until(() => !bob.engine.isPending(write.id), 8000, "the write delivered");
    const place = (u: User) => {
      const e = u.engine["parts"].log.event(write.id) as WallEvent | undefined;
      return e && `${streamOf(e)}:${e.seq}`;
    };
    await until(() => place(alice) !== undefined && place(phone) !== undefined, 8000, "both devices to hold it");
    await new Promise((r) => setTimeout(r, 200)); // a second placing would land now
    expect(place(phone)).toBe(place(alice));
    expect(place(bob)).toBe(place(alice));
  }, 30000);
});

describe("removing a device", () => {
  it("my devices and my friends stop talking to a device I removed", async () => {
    const { net, alice, bob } = await aliceAndBob();
    const phone = await link(net, alice, "ph1");
    await until(() => phone.engine.isFriend("bob") && alice.engine.devices().some((d) => d.id === "ph1" && d.online), 5000, "the phone linked");
    await alice.engine.removeDevice("ph1");
    expect(alice.engine.devices().map((d) => d.id)).toEqual(["lap"]);
    // Bob hears it from my signed friend list, and drops the phone's link.
    await until(() => bob.engine["parts"].log.removedDevices("alice").has("ph1"), 5000, "bob to learn of the removal");
    const linksToPhone = () => bob.engine["parts"].connections.sessionsOf("alice").filter((s: { device: string }) => s.device === "ph1").length;
    await until(() => linksToPhone() === 0, 5000, "bob to drop the phone");
    await alice.engine.post("alice", "not for the lost phone");
    await bob.engine.post("bob", "nor this");
    phone.transport.goOffline();
    phone.transport.goOnline();
    await new Promise((r) => setTimeout(r, 3000));
    expect(texts(phone, "alice")).not.toContain("not for the lost phone");
    expect(texts(phone, "bob")).not.toContain("nor this");
    expect(linksToPhone()).toBe(0);
  }, 30000);
});

describe("starting fresh after a device was lost", () => {
  it("a new key: bob is asked to confirm it, then my new wall reaches him", async () => {
    const { generateIdentity } = await import("../src/crypto/identity");
    const net = new SimNetwork();
    const factory = new IDBFactory();
    const alice = await makeUser(net, "alice", factory, undefined, "lap");
    const bob = await makeUser(net, "bob", new IDBFactory(), undefined, "b1");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    await alice.engine.post("alice", "with the old key");
    await until(() => texts(bob, "alice").includes("with the old key"), 5000, "the old post at bob's");
    const oldKey = alice.engine.publicKey;
    // What Settings → Start fresh does: the wall's old places go, a new key, the app anew.
    await alice.engine.startAnew();
    await alice.repo.saveIdentity({ id: "me", ...(await generateIdentity()) });
    alice.engine.stop();
    alice.transport.goOffline();
    alice.repo.close();
    const again = await makeUser(net, "alice", factory, undefined, "lap");
    expect(again.engine.publicKey).not.toBe(oldKey);
    again.transport.goOnline();
    await until(() => bob.engine.friend("alice")?.changedKey === again.engine.publicKey, 5000, "bob to be asked about the new key");
    await bob.engine.confirmKey("alice");
    await again.engine.post("alice", "with the new key");
    await until(() => texts(bob, "alice").includes("with the new key"), 5000, "the new post at bob's");
    expect(texts(bob, "alice")).toContain("with the old key");
    expect(texts(again, "alice")).toEqual(["with the new key", "with the old key"]);
    expect(bob.engine["parts"].log.top("alice")).toBe(bob.engine.cursor("alice"));
  }, 30000);
});

describe("restoring from the recovery phrase", () => {
  it("gets my wall and my friends back from a friend, with the same key", async () => {
    const { net, alice, bob } = await aliceAndBob();
    for (let i = 0; i < 300; i++) await alice.engine.post("alice", `post ${i}`);
    await until(() => texts(bob, "alice").length === 300, 15000, "bob to hold alice's wall");
    await until(() => bob.engine["parts"].log.friendList("alice")?.has("bob") === true, 5000, "alice's friend list at bob's");
    const words = await alice.engine.recoveryPhrase();
    alice.transport.goOffline(); // the laptop is gone for good

    const factory = new IDBFactory();
    const repo = new Repository(await openDatabase("alice", factory));
    await repo.saveIdentity({ id: "me", ...(await identityFromPhrase(words.join(" "))) });
    await repo.saveMeta("restoring", true);
    repo.close();
    const restored = await makeUser(net, "alice", factory, undefined, "new");
    expect(restored.engine.publicKey).toBe(alice.engine.publicKey);
    const started = Date.now();
    restored.transport.goOnline();
    await until(() => texts(restored, "alice").length >= 285, 60000, "95% of my wall back");
    const seconds = (Date.now() - started) / 1000;
    await until(() => restored.engine.isFriend("bob") && !restored.engine.restoring, 5000, `my friend list back (${restored.engine.isFriend("bob")}, ${restored.engine.restoring}, ${JSON.stringify(restored.engine["parts"].log.friendList("alice"))}, ${restored.dropped.slice(-5).join(" | ")})`);
    await until(() => texts(restored, "alice").length === 300, 10000, "all of my wall");
    expect(bob.engine.friend("alice")?.changedKey).toBeUndefined();
    // Merged by id, nothing twice; and my new posts go on in a stream of the new device.
    expect(new Set(texts(restored, "alice")).size).toBe(300);
    await restored.engine.post("alice", "back again");
    await until(() => texts(bob, "alice").includes("back again"), 5000, "my new post at bob's");
    console.log(`restore (simulation): 300 events, ≥95% back in ${seconds.toFixed(2)} s`);
  }, 90000);
});

describe("restoring when no friend holds my friend list", () => {
  it("the friend who served my own wall is my friend again", async () => {
    const { net, alice, bob } = await aliceAndBob();
    for (let i = 0; i < 5; i++) await alice.engine.post("alice", `early ${i}`);
    await until(() => texts(bob, "alice").length === 5, 5000, "bob to hold the posts");
    // Gone before her friend list went out (it is published a second after friends change).
    expect(bob.engine["parts"].log.friendList("alice")).toBeUndefined();
    const words = await alice.engine.recoveryPhrase();
    alice.transport.goOffline();
    const factory = new IDBFactory();
    const repo = new Repository(await openDatabase("alice", factory));
    await repo.saveIdentity({ id: "me", ...(await identityFromPhrase(words.join(" "))) });
    await repo.saveMeta("restoring", true);
    repo.close();
    const restored = await makeUser(net, "alice", factory, undefined, "new");
    restored.transport.goOnline();
    await until(() => texts(restored, "alice").length === 5, 5000, "my wall back");
    await until(() => restored.engine.isFriend("bob"), 5000, "bob, who served it, my friend again");
    await restored.engine.post("alice", "found you");
    await until(() => texts(bob, "alice").includes("found you"), 5000, "my new post at bob's");
  }, 30000);
});

describe("photos across my devices", () => {
  it("my phone gets my photos from my laptop, and a restored browser from a friend", async () => {
    const { net, alice, bob } = await aliceAndBob();
    const { photo } = await import("./sim");
    const pic = await photo(alice, 50_000, 7);
    await alice.engine.post("alice", "with a photo", [pic]);
    await until(() => texts(bob, "alice").includes("with a photo"), 5000, "bob to hold the post");
    const phone = await link(net, alice, "ph1");
    await until(() => texts(phone, "alice").includes("with a photo"), 5000, "the post on the phone");
    // My own photo, kept in full on my wall: from my laptop, the only one who holds the full image.
    bob.transport.goOffline();
    await until(async_stored(phone, pic.full), 8000, "the full image from my laptop");
    bob.transport.goOnline();
    await until(() => bob.engine.isFriend("alice") && bob.engine.friends().some((f) => f.handle === "alice" && f.connected), 8000, "bob back");
    await until(async_stored(bob, pic.thumb), 8000, "bob's thumbnail");
    await until(() => bob.engine["parts"].log.friendList("alice")?.has("bob") === true, 8000, "alice's friend list at bob's");
    const words = await alice.engine.recoveryPhrase();
    alice.transport.goOffline();
    phone.transport.goOffline();
    const factory = new IDBFactory();
    const repo = new Repository(await openDatabase("alice", factory));
    await repo.saveIdentity({ id: "me", ...(await identityFromPhrase(words.join(" "))) });
    await repo.saveMeta("restoring", true);
    repo.close();
    const restored = await makeUser(net, "alice", factory, undefined, "new");
    restored.transport.goOnline();
    await until(() => texts(restored, "alice").includes("with a photo"), 8000, "the post back");
    await until(async_stored(restored, pic.thumb), 8000, "the thumbnail back from bob");
  }, 40000);
});

/** A condition for until(): the user's store holds the blob (checked without blocking the loop). */
function async_stored(user: User, hash: string): () => boolean {
  let held = false;
  let asking = false;
  return () => {
    if (!asking) {
      asking = true;
      void user.repo.hasBlob(hash).then((yes) => {
        held = yes;
        asking = false;
      });
    }
    return held;
  };
}
