// Space: a post and its photos land together or not at all, a full store is named, friends'
// full-size photos are let go least-recently-seen first under a cap (never my wall's, never a
// thumbnail), and deleting a photo post gives its space back.
import { IDBFactory, IDBObjectStore } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isLow, SpaceWatch } from "../src/app/space";
import { DEFAULT_PHOTO_CAP, toEvict } from "../src/media/eviction";
import type { BlobInfo, StoredEvent } from "../src/store/db";
import { openDatabase } from "../src/store/db";
import { StorageFault } from "../src/store/faults";
import { PUTS_PER_TASK, Repository } from "../src/store/repository";
import { wallsUse } from "../src/store/spaceUse";
import type { PhotoRef, PostBody, WallEvent } from "../src/sync/events";
import { keptPhoto, type PhotoPosts, photosLetGo } from "../src/sync/policy";
import { removes } from "../src/sync/wall";
import { befriend, jpegBytes, makeUser, SimNetwork, until, type User } from "./sim";

const MB = 1024 * 1024;

function info(hash: string, size: number, more: Partial<BlobInfo> = {}): BlobInfo {
  return { hash, size, mime: "image/jpeg", mine: false, storedAt: 0, wall: "bob", ...more };
}

async function postWithPhoto(user: User, seed: number, text = `photo ${seed}`): Promise<{ id: string; ref: PhotoRef }> {
  const full = await user.blobs.mineRecord(jpegBytes(50_000, seed), "image/jpeg");
  const thumb = await user.blobs.mineRecord(jpegBytes(2_000, seed + 1), "image/jpeg");
  const ref: PhotoRef = { full: full.hash, thumb: thumb.hash, mime: "image/jpeg", w: 2048, h: 1536 };
  const event = await user.engine.post(user.handle, text, [ref], [full, thumb]);
  user.blobs.adopt([full.hash, thumb.hash]);
  return { id: event.id, ref };
}

describe("choosing which photos to let go", () => {
  it("keeps everything under the cap", () => {
    expect(toEvict([info("a", 10 * MB), info("b", 10 * MB)], 20 * MB, () => false)).toEqual([]);
  });

  it("lets friends' full images go, least recently seen first, until they fit", () => {
    const infos = [
      info("seen-yesterday", 10 * MB, { storedAt: 1, seenAt: 500 }),
      info("never-seen-old", 10 * MB, { storedAt: 100 }),
      info("seen-now", 10 * MB, { storedAt: 2, seenAt: 900 }),
    ];
    expect(toEvict(infos, 15 * MB, () => false)).toEqual(["never-seen-old", "seen-yesterday"]);
  });

  it("never lets go of my wall's photos or of thumbnails, however far over the cap", () => {
    const infos = [
      info("mine", 40 * MB, { mine: true, wall: undefined }),
      info("bob-on-my-wall", 40 * MB, { mine: true, by: "bob" }),
      info("thumb", 1 * MB),
      info("full", 5 * MB),
    ];
    expect(toEvict(infos, 0, (hash) => hash === "thumb")).toEqual(["full"]);
  });

  it("has a default cap", () => {
    expect(DEFAULT_PHOTO_CAP).toBeGreaterThan(0);
  });
});

describe("a post and its photos, all or nothing", () => {
  afterEach(() => vi.restoreAllMocks());

  it("stores the post and its photos in one write", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const { ref } = await postWithPhoto(alice, 1);
    expect(await alice.repo.hasBlob(ref.full)).toBe(true);
    expect(await alice.repo.hasBlob(ref.thumb)).toBe(true);
    expect(alice.engine.wall("alice").map((p) => p.event.body.text)).toEqual(["photo 1"]);
  });

  it("a write that fails half-way leaves neither the photo nor the post, and nothing in memory", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const full = await alice.blobs.mineRecord(jpegBytes(50_000, 7), "image/jpeg");
    const thumb = await alice.blobs.mineRecord(jpegBytes(2_000, 8), "image/jpeg");
    const ref: PhotoRef = { full: full.hash, thumb: thumb.hash, mime: "image/jpeg", w: 2048, h: 1536 };
    // The disk fills while the post is written: the events store refuses it after the photos
    // were put in the same transaction (as Chromium's QuotaExceededError does, empty message).
    const put = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["put"]>) {
      if (this.name === "events") throw new DOMException("", "QuotaExceededError");
      return put.apply(this, args);
    });
    const faults: string[] = [];
    alice.repo.onFault((f) => faults.push(f.code));
    const attempt = alice.engine.post("alice", "will not fit", [ref], [full, thumb]);
    await expect(attempt).rejects.toBeInstanceOf(StorageFault);
    await expect(attempt).rejects.toMatchObject({ code: "full" });
    vi.restoreAllMocks();
    expect(faults).toEqual(["full"]);
    expect(await alice.repo.hasBlob(full.hash)).toBe(false);
    expect(await alice.repo.hasBlob(thumb.hash)).toBe(false);
    expect((await alice.repo.events()).filter((e) => e.kind === "post")).toEqual([]);
    expect(alice.engine.wall("alice")).toEqual([]);
    // Once there is room again, the same post goes through, with the next place on the wall.
    const posted = await alice.engine.post("alice", "fits now", [ref], [full, thumb]);
    expect(posted.kind).toBe("post");
    expect(await alice.repo.hasBlob(full.hash)).toBe(true);
    expect(alice.engine.wall("alice").map((p) => p.event.body.text)).toEqual(["fits now"]);
  });

  it("a value that cannot be stored aborts the whole write instead of committing the rest", async () => {
    const repo = new Repository(await openDatabase("carol", new IDBFactory()));
    const blob = { hash: "h1", bytes: new ArrayBuffer(8), mime: "image/jpeg", size: 8, mine: true, storedAt: 1 };
    const unstorable = { id: "e1", wall: "carol", author: "carol", kind: "post", ts: 1, sig: "s", body: { f: () => 1 } };
    await expect(repo.write({ blobs: [blob], events: [unstorable] })).rejects.toBeTruthy();
    expect(await repo.hasBlob("h1")).toBe(false);
    expect(await repo.events()).toEqual([]);
  });

  it("a large write goes in steps, yet in one transaction: a bad event late in it leaves none stored", async () => {
    const repo = new Repository(await openDatabase("dave", new IDBFactory()));
    const event = (i: number) => ({ id: `e${i}`, wall: "dave", author: "dave", kind: "post", ts: 1, sig: "s", body: { text: `${i}` } });
    const many = Array.from({ length: 3 * PUTS_PER_TASK }, (_, i) => event(i)) as unknown as StoredEvent[];
    // In the last step, long after the first steps' puts succeeded.
    many[many.length - 5] = { ...many[0]!, id: "bad", body: { f: () => 1 } } as unknown as StoredEvent;
    await expect(repo.write({ events: many, outboxRemove: ["x"] })).rejects.toBeTruthy();
    expect(await repo.events()).toEqual([]);
    // And a good one lands whole.
    await repo.write({ events: many.filter((e) => e.id !== "bad") });
    expect((await repo.events()).length).toBe(3 * PUTS_PER_TASK - 1);
  });
});

describe("space given back", () => {
  it("deleting my photo post deletes its photos, unless another post still shows them", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const first = await postWithPhoto(alice, 11, "first");
    const second = await postWithPhoto(alice, 11, "the same photo again");
    const other = await postWithPhoto(alice, 21, "another");
    await alice.engine.remove("alice", first.id);
    // The second post still names the photo: it stays.
    expect(await alice.repo.hasBlob(first.ref.full)).toBe(true);
    await alice.engine.remove("alice", second.id);
    await until(() => alice.blobs.status(first.ref.full).state !== "stored", 2000, "the photo to go");
    expect(await alice.repo.hasBlob(first.ref.full)).toBe(false);
    expect(await alice.repo.hasBlob(first.ref.thumb)).toBe(false);
    expect(await alice.repo.hasBlob(other.ref.full)).toBe(true);
  });

  it("a friend's deleted photo post lets go of the copies I held, and friends' full images stay under my cap", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const bob = await makeUser(net, "bob");
    for (const u of [alice, bob]) u.transport.goOnline();
    await befriend(alice, bob);
    const posts: { id: string; ref: PhotoRef }[] = [];
    for (let i = 0; i < 3; i++) posts.push(await postWithPhoto(alice, 100 + i * 2));
    await until(() => bob.engine.wall("alice").length === 3, 8000, "alice's posts at bob's");
    // Bob opens all three full images, the oldest first.
    for (const p of posts) {
      await bob.blobs.show(p.ref.full);
      await until(() => bob.blobs.status(p.ref.full).state === "stored", 8000, "a full image");
      await bob.repo.sawBlob(p.ref.full, Date.now());
      await new Promise((r) => setTimeout(r, 5));
    }
    // A cap that holds two of them: the one seen least recently goes, its thumbnail stays.
    const freed = await bob.blobs.setPhotoCap(120_000);
    expect(freed).toBe(50_000);
    expect(await bob.repo.hasBlob(posts[0]!.ref.full)).toBe(false);
    expect(await bob.repo.hasBlob(posts[0]!.ref.thumb)).toBe(true);
    expect(await bob.repo.hasBlob(posts[2]!.ref.full)).toBe(true);
    // Opened again, it is fetched again.
    await bob.blobs.show(posts[0]!.ref.full);
    await until(() => bob.blobs.status(posts[0]!.ref.full).state === "stored", 8000, "the evicted image fetched again");
    // ...and now the one seen least recently is the second (trimmed once the fetched one is stored).
    await until(() => bob.blobs.status(posts[1]!.ref.full).state !== "stored", 8000, "the second image to be let go");
    expect(await bob.repo.hasBlob(posts[1]!.ref.full)).toBe(false);
    // Alice deletes her last post: bob lets its photos go too.
    await alice.engine.remove("alice", posts[2]!.id);
    await until(() => bob.engine.wall("alice").length === 2, 8000, "the delete at bob's");
    await until(() => bob.blobs.status(posts[2]!.ref.thumb).state !== "stored", 8000, "bob letting the photos go");
    expect(await bob.repo.hasBlob(posts[2]!.ref.thumb)).toBe(false);
  }, 30_000);
});

describe("watching the space", () => {
  it("warns under 50 MB or under a tenth of the quota left, not before", () => {
    expect(isLow({ usage: null, quota: null })).toBe(false);
    expect(isLow({ usage: 100 * MB, quota: 1000 * MB })).toBe(false);
    expect(isLow({ usage: 901 * MB, quota: 1000 * MB })).toBe(true); // 99 MB left: under a tenth
    expect(isLow({ usage: 10 * MB, quota: 55 * MB })).toBe(true); // 45 MB left: under 50 MB
  });

  it("is full after a write that did not fit, until room is made", async () => {
    const watch = new SpaceWatch({ estimate: async () => ({ usage: 30 * MB, quota: 40 * MB }) });
    const seen: boolean[] = [];
    watch.subscribe((s) => seen.push(s.full));
    watch.fault(new StorageFault("closed"));
    expect(watch.get().full).toBe(false);
    watch.fault(new StorageFault("full"));
    expect(watch.get().full).toBe(true);
    await watch.measure();
    expect(watch.get()).toMatchObject({ full: true, usage: 30 * MB, quota: 40 * MB });
    watch.roomMade();
    expect(watch.get().full).toBe(false);
    expect(seen).toContain(true);
  });

  it("the store says when a write did not fit and when room was made", async () => {
    const net = new SimNetwork();
    const alice = await makeUser(net, "alice");
    const watch = new SpaceWatch(null);
    alice.repo.onFault((f) => watch.fault(f));
    alice.repo.onRoom(() => watch.roomMade());
    const put = IDBObjectStore.prototype.put;
    const spy = vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["put"]>) {
      if (this.name === "blobs") throw new DOMException("", "QuotaExceededError");
      return put.apply(this, args);
    });
    await expect(postWithPhoto(alice, 31)).rejects.toMatchObject({ code: "full" });
    expect(watch.get().full).toBe(true);
    spy.mockRestore();
    await postWithPhoto(alice, 31);
    expect(watch.get().full).toBe(false);
  });
});

describe("what takes the space", () => {
  it("counts each wall's events and the photos fetched for it, mine first, then the largest", () => {
    const event = (id: string, wall: string) => ({ id, wall, author: wall, kind: "post", ts: 1, body: { text: "x" }, sig: "s", seq: 1 });
    const walls = wallsUse(
      "alice",
      [event("1", "alice"), event("2", "bob"), event("3", "bob"), event("4", "carol")],
      [
        info("mine", 5 * MB, { mine: true, wall: undefined }),
        info("bob-on-my-wall", 2 * MB, { mine: true, by: "bob", wall: "alice" }),
        info("bobs", 1 * MB, { wall: "bob" }),
        info("carols", 9 * MB, { wall: "Carol" }),
      ],
    );
    expect(walls.map((w) => [w.wall, w.events, w.photoBytes])).toEqual([
      ["alice", 1, 7 * MB],
      ["carol", 1, 9 * MB],
      ["bob", 2, 1 * MB],
    ]);
    expect(walls[0]!.eventBytes).toBe(JSON.stringify(event("1", "alice")).length);
  });
});

describe("which deletes and posts decide about photos", () => {
  const ev = (id: string, wall: string, author: string, kind: string, body: unknown) => ({ id, wall, author, kind, ts: 1, sig: "s", body }) as WallEvent;
  const photoPost = ev("p1", "alice", "bob", "post", { text: "on alice's wall", photos: [{ full: "F", thumb: "T", mime: "image/jpeg", w: 1, h: 1 }] });

  function logOf(events: WallEvent[]): PhotoPosts {
    const byId = new Map(events.map((e) => [e.id, e]));
    const isDeleted = (id: string) => events.some((d) => byId.get(id) !== undefined && removes(d, byId.get(id)!));
    return {
      event: (id) => byId.get(id),
      isDeleted,
      postsWithPhoto: (hash) =>
        events.filter((e) => e.kind === "post" && ((e.body as PostBody).photos ?? []).some((p) => p.full === hash || p.thumb === hash)),
    };
  }

  it("a delete placed on another wall removes nothing and lets no photo go", () => {
    const elsewhere = ev("d1", "bob", "bob", "delete", { target: "p1" });
    expect(removes(elsewhere, photoPost)).toBe(false);
    expect(photosLetGo([elsewhere], logOf([photoPost, elsewhere]))).toEqual([]);
    const onItsWall = ev("d2", "alice", "bob", "delete", { target: "p1" });
    expect(photosLetGo([onItsWall], logOf([photoPost, onItsWall])).sort()).toEqual(["F", "T"]);
  });

  it("a stranger to the post cannot delete it", () => {
    expect(removes(ev("d3", "alice", "carol", "delete", { target: "p1" }), photoPost)).toBe(false);
    expect(removes(ev("d4", "alice", "alice", "delete", { target: "p1" }), photoPost)).toBe(true);
  });

  it("keeps a photo a standing post on my wall names, and any photo named as a thumbnail", () => {
    const elsewhere = ev("p2", "carol", "carol", "post", { text: "x", photos: [{ full: "T", thumb: "X", mime: "image/jpeg", w: 1, h: 1 }] });
    const log = logOf([photoPost, elsewhere]);
    expect(keptPhoto("F", "alice", log)).toBe(true); // on my wall
    expect(keptPhoto("F", "dave", log)).toBe(false); // a friend's full image elsewhere
    expect(keptPhoto("T", "dave", log)).toBe(true); // named as a thumbnail by one post, as a full image by another
    const deleted = logOf([photoPost, ev("d5", "alice", "alice", "delete", { target: "p1" })]);
    expect(keptPhoto("F", "alice", deleted)).toBe(false);
  });
});
