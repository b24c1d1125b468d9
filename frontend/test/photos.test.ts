import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, chunksOf } from "../src/media/chunks";
import { sha256Hex } from "../src/media/hash";
import { befriend, jpegBytes as bytes, makeUser, photo, SimNetwork, until, frameOf, usersOnline } from "./sim";

describe("photos between friends", () => {
  it("a post carries hashes; the owner fetches everything, friends thumbnails at once and full images on demand", async () => {
    const net = new SimNetwork();
    const [alice, bob, carol] = await usersOnline(net, "alice", "bob", "carol");
    await befriend(alice, bob);
    await befriend(bob, carol); // carol is not alice's friend
    bob.transport.goOffline();
    await until(() => !alice.engine.friends()[0]!.online);

    const refs = await Promise.all([photo(alice, 3 * CHUNK_BYTES + 5, 10), photo(alice, 1000, 20), photo(alice, 70_000, 30)]);
    const post = await alice.engine.post("bob", "three photos for bob", refs);
    expect(JSON.stringify(post)).not.toContain("\"bytes\"");

    bob.transport.goOnline();
    // Bob keeps his wall: he fetches full images and thumbnails from their author.
    await until(() => refs.every((r) => bob.blobs.status(r.full).state === "stored"), 10000, "bob to have the photos");
    for (const r of refs) expect(bob.blobs.status(r.thumb).state).toBe("stored");
    const stored = await bob.repo.blob(refs[0]!.full);
    expect(await sha256Hex(new Uint8Array(stored!.bytes))).toBe(refs[0]!.full);
    expect(stored!.mine).toBe(true); // on his own wall: kept for good, to serve it on

    // Carol sees the post on bob's wall: thumbnails come by themselves, from bob.
    await until(() => carol.engine.wall("bob").length === 1, 5000, "carol to sync bob's wall");
    await until(() => refs.every((r) => carol.blobs.status(r.thumb).state === "stored"), 10000, "carol's thumbnails");
    expect(carol.blobs.status(refs[0]!.full).state).toBe("unknown");
    expect(carol.engine.photoSources(refs[0]!.full)).toEqual(["bob"]);
    await carol.blobs.show(refs[0]!.full);
    await until(() => carol.blobs.status(refs[0]!.full).state === "stored", 10000, "carol's full image");
  }, 30000);

  it("a blob whose bytes do not match its hash is refused, never stored", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const mallory = await makeUser(net, "mallory");
    alice.transport.goOnline();
    mallory.transport.goOnline();
    await befriend(alice, mallory);
    const ref = await photo(mallory, 100_000, 7);
    await mallory.engine.post("mallory", "look", [ref]);
    // Mallory turns hostile: answers the request with other bytes under the same name.
    const link = [...mallory.transport.links].find((l) => l.peer === "alice" && !l.closed)!;
    const forged = bytes(100_000, 99);
    const realOnFrame = link.onFrame;
    link.onFrame = (frame) => {
      const f = frameOf(frame) as { t: string; hash?: string };
      if (f.t === "blob-get") {
        link.send({ t: "blob-info", hash: f.hash, size: forged.length, mime: "image/jpeg" });
        for (const m of chunksOf(f.hash!, forged)) link.sendBinary(m);
        return;
      }
      realOnFrame(frame);
    };
    await until(() => alice.engine.wall("mallory").length === 1, 5000, "alice to sync mallory's post");
    await alice.blobs.show(ref.full);
    await until(() => alice.blobs.status(ref.full).state === "failed", 10000, "the forged blob to be refused");
    expect(await alice.repo.hasBlob(ref.full)).toBe(false);
    expect(alice.dropped.join("\n")).toMatch(/do not match their hash/);
  }, 30000);

  it("a transfer broken by a lost link resumes from the last byte received", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    const ref = await photo(alice, 40 * CHUNK_BYTES, 5);
    await alice.engine.post("alice", "big one", [ref]);
    await until(() => bob.engine.wall("alice").length === 1);
    // The link drops after a few chunks, losing what was in flight.
    const link = [...bob.transport.links].find((l) => l.peer === "alice" && !l.closed)!;
    const deliver = link.onBinary;
    let chunks = 0;
    let partial = 0;
    link.onBinary = (message) => {
      if (++chunks > 6) return; // lost in the failing network
      deliver(message);
      if (chunks === 6) setTimeout(() => {
        partial = (bob.blobs.status(ref.full) as { received: number }).received;
        link.cut();
      }, 50);
    };
    await bob.blobs.show(ref.full);
    // Both are still online: the engine redials, and the transfer goes on from where it was.
    await until(() => bob.blobs.status(ref.full).state === "stored", 15000, "the resumed transfer");
    expect(partial).toBeGreaterThan(0);
    const gets = [...bob.transport.links]
      .flatMap((l) => l.sent)
      .filter((f) => (f as { t: string }).t === "blob-get" && (f as { hash: string }).hash === ref.full) as { from: number }[];
    expect(gets.length).toBeGreaterThanOrEqual(2);
    expect(gets[0]!.from).toBe(0);
    expect(gets.at(-1)!.from).toBeGreaterThanOrEqual(partial);
  }, 30000);
});
