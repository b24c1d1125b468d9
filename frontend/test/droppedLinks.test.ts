// A friend's link dropping in the middle of a catch-up or a photo: the next link starts from the
// cursor or the byte the first one left, and nothing comes or is stored twice.
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { loadIdentity } from "../src/crypto/identity";
import { CHUNK_BYTES, decodeChunk } from "../src/media/chunks";
import type { BlobRecord, StoredEvent } from "../src/store/db";
import type { StoreChange } from "../src/store/repository";
import { createEvent, ordered } from "../src/sync/events";
import type { Frame } from "../src/sync/frames";
import { CATCH_UP_WRITE } from "../src/sync/protocol/wallSync";
import type { Link } from "../src/sync/transport";
import { befriend, makeUser, photo, type SimLink, SimNetwork, type User, until, frameOf } from "./sim";

type Events = Extract<Frame, { t: "events" }>;
type Sync = Extract<Frame, { t: "sync" }>;
type BlobGet = Extract<Frame, { t: "blob-get" }>;

/** Writes ``count`` posts onto the wall of a user whose engine is stopped, their places signed. */
async function seedWall(user: User, count: number): Promise<number> {
  const identity = await loadIdentity((await user.repo.identity())!);
  let seq = 0;
  for (const e of await user.repo.events()) if (e.wall === user.handle && e.seq !== undefined) seq = Math.max(seq, e.seq);
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    const events = await Promise.all(
      Array.from({ length: size }, async (_, k) => {
        const event = await createEvent(identity, user.handle, user.handle, "post", { text: `post ${start + k}` });
        return ordered(identity, event, seq + k + 1);
      }),
    );
    seq += size;
    await user.repo.write({ events: events as StoredEvent[] });
  }
  return seq;
}

/** The owner's wall as a user's store holds it: [id, seq] of each event. */
async function held(user: User, wall: string): Promise<[string, number | undefined][]> {
  return (await user.repo.events()).filter((e) => e.wall === wall).map((e) => [e.id, e.seq]);
}

/** The user's browser is closed: no engine, no links, the store stays. */
function close(user: User): void {
  user.engine.stop();
  user.transport.goOffline();
}

describe("a link dropped in the middle of a catch-up", () => {
  it("resumes from the cursor the first writes left, and stores each event once", async () => {
    const net = new SimNetwork();
    const factory = new IDBFactory();
    let alice = await makeUser(net, "alice", factory);
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    // alice's friend list lands on her wall once the friendship settles.
    await until(() => bob.engine.cursor("alice") === 1, 5000, "alice's friend list");
    const before = bob.engine.cursor("alice");
    bob.transport.goOffline();
    await until(() => !alice.engine.friends()[0]!.online, 5000, "bob to be away");

    // bob is away while alice's wall grows by more than one catch-up write; her app reads it
    // as it starts again.
    close(alice);
    const total = await seedWall(alice, CATCH_UP_WRITE + 1000);
    alice.repo.close();
    alice = await makeUser(net, "alice", factory);
    alice.transport.goOnline();
    const theirs = new Map(await held(alice, "alice"));
    expect(theirs.size).toBe(total);

    // What bob's links deliver and what his store is asked to write, from now on.
    const received = new Map<Link, number[]>();
    const written: string[] = [];
    const write = bob.repo.write.bind(bob.repo);
    bob.repo.write = (change: StoreChange) => {
      for (const e of change.events ?? []) if (e.wall === "alice") written.push(e.id);
      return write(change);
    };
    // The link drops once the frames it delivered hold a whole write and some: the rest of the
    // catch-up is lost on the way.
    let dropped = false;
    const handlers = bob.transport.handlers!;
    bob.transport.setHandlers({
      ...handlers,
      link: (link) => {
        handlers.link(link);
        const seqs: number[] = [];
        received.set(link, seqs);
        const deliver = link.onFrame;
        link.onFrame = (frame) => {
          const f = frameOf(frame) as Frame;
          if (f.t === "events") {
            if (!dropped && seqs.length >= CATCH_UP_WRITE + 100) return;
            seqs.push(...(f as Events).events.map((e) => e.seq!));
          }
          deliver(frame);
        };
      },
    });
    bob.transport.goOnline();
    await until(() => bob.engine.cursor("alice") > before, 10000, "bob's first catch-up write");
    const cursor = bob.engine.cursor("alice");
    const [first] = [...received].find(([, seqs]) => seqs.length)!;
    // More came than is stored: what waited for the next write is lost with the link.
    expect(received.get(first)!.length).toBeGreaterThan(cursor - before);
    dropped = true;
    (first as SimLink).cut();

    // Both are still online: the engine redials and catches up the rest.
    await until(() => bob.engine.cursor("alice") === total, 15000, "the resumed catch-up");
    await new Promise((r) => setTimeout(r, 100)); // anything stored twice would be written now

    expect(cursor).toBeGreaterThan(before);
    expect(cursor).toBeLessThan(total);
    // Each side asks again once it trusts the other (the second ask of a link gets no answer);
    // links that lost the race of both dialing at once carry nothing.
    const asks = (link: Link) => {
      const syncs = ((link as SimLink).sent as Frame[]).filter((f): f is Sync => f.t === "sync" && f.wall === "alice");
      return [...new Set(syncs.map((f) => f.since[""]))];
    };
    const links = [...received.keys()].filter((link) => asks(link).length);
    expect(links.map(asks)).toEqual([[before], [cursor]]);
    expect(links[0]).toBe(first);
    expect(received.get(links[1]!)).toEqual(Array.from({ length: total - cursor }, (_, i) => cursor + 1 + i));

    // Exactly alice's events, each place once, each written once.
    const mine = await held(bob, "alice");
    expect(new Map(mine)).toEqual(theirs);
    expect(mine.map(([, seq]) => seq).sort((a, b) => a! - b!)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(written.length).toBe(total - before);
    expect(new Set(written).size).toBe(written.length);
  }, 60000);
});

describe("a link dropped in the middle of a photo", () => {
  it("resumes from the byte the first link left, and brings each later byte once", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    alice.transport.goOnline();
    bob.transport.goOnline();
    await befriend(alice, bob);
    const ref = await photo(alice, 20 * CHUNK_BYTES + 123, 3);
    await alice.engine.post("alice", "a big one", [ref]);
    await until(() => bob.engine.wall("alice").length === 1, 5000, "the post");
    await until(() => bob.blobs.status(ref.thumb).state === "stored", 5000, "the thumbnail");

    const saved: string[] = [];
    const save = bob.repo.saveBlob.bind(bob.repo);
    bob.repo.saveBlob = (record: BlobRecord) => {
      saved.push(record.hash);
      return save(record);
    };
    // The chunks of the photo each link delivers; the first link drops after six of them, the
    // rest lost on the way.
    const offsets = new Map<Link, number[]>();
    let dropped = false;
    const watch = (link: Link) => {
      const seen: number[] = [];
      offsets.set(link, seen);
      const deliver = link.onBinary;
      link.onBinary = (message) => {
        const chunk = decodeChunk(message);
        if (chunk?.hash === ref.full) {
          if (!dropped && seen.length === 6) return;
          seen.push(chunk.offset);
        }
        deliver(message);
      };
    };
    const first = [...bob.transport.links].find((l) => l.peer === "alice" && !l.closed)!;
    watch(first);
    const handlers = bob.transport.handlers!;
    bob.transport.setHandlers({
      ...handlers,
      link: (link) => {
        handlers.link(link);
        watch(link);
      },
    });
    await bob.blobs.show(ref.full);
    const kept = 6 * CHUNK_BYTES;
    await until(() => (bob.blobs.status(ref.full) as { received?: number }).received === kept, 5000, "six chunks");
    dropped = true;
    first.cut();

    // Both are still online: the engine redials, and the transfer goes on from where it was.
    await until(() => bob.blobs.status(ref.full).state === "stored", 15000, "the resumed transfer");
    const size = (await bob.repo.blob(ref.full))!.size;
    const links = [...offsets.keys()].filter((link) => offsets.get(link)!.length);
    expect(links[0]).toBe(first);
    expect(links.map((link) => offsets.get(link))).toEqual([
      [0, 1, 2, 3, 4, 5].map((i) => i * CHUNK_BYTES),
      Array.from({ length: Math.ceil((size - kept) / CHUNK_BYTES) }, (_, i) => kept + i * CHUNK_BYTES),
    ]);
    const gets = links.map((link) =>
      ((link as SimLink).sent as Frame[]).filter((f): f is BlobGet => f.t === "blob-get" && f.hash === ref.full).map((f) => f.from),
    );
    expect(gets).toEqual([[0], [kept]]);
    expect(saved.filter((hash) => hash === ref.full)).toEqual([ref.full]);
  }, 30000);
});
