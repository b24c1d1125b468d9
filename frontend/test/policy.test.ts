// The rules, one table each: who may write what, who may have which wall and which photo.
import { describe, expect, it } from "vitest";
import type { PhotoRef, WallEvent } from "../src/sync/events";
import {
  FULL_PHOTO_BYTES,
  mayAcceptWall,
  mayServePhoto,
  mayServeWall,
  mayShowVouchedAuthor,
  orderTime,
  photoNeeds,
  photoSource,
  THUMB_PHOTO_BYTES,
  type WallReader,
  writeRefusal,
} from "../src/sync/policy";

const SIG = "s".repeat(86);
let n = 0;
function ev(wall: string, author: string, kind: WallEvent["kind"], body: WallEvent["body"], seq?: number): WallEvent {
  return { id: `event_${++n}_xx`, wall, author, kind, ts: 1000 + n, body, sig: SIG, seq };
}

function reader(events: WallEvent[]): WallReader {
  return {
    event: (id) => events.find((e) => e.id === id),
    wallEvents: (wall) => events.filter((e) => e.wall.toLowerCase() === wall.toLowerCase()),
  };
}

describe("writeRefusal", () => {
  const post = ev("alice", "bob", "post", { text: "hi" }, 1);
  const gone = ev("alice", "alice", "post", { text: "gone" }, 2);
  const tomb = ev("alice", "alice", "delete", { target: gone.id }, 3);
  const elsewhere = ev("carol", "carol", "post", { text: "on carol's wall" }, 1);
  const log = reader([post, gone, tomb, elsewhere]);

  it.each([
    ["a post, always", "alice", "dave", "post", { text: "x" }, null],
    ["a comment on a post of the wall", "alice", "dave", "comment", { post: post.id, text: "x" }, null],
    ["a comment on a post of another wall", "alice", "dave", "comment", { post: elsewhere.id, text: "x" }, "no-such-post"],
    ["a comment on a deleted post", "alice", "dave", "comment", { post: gone.id, text: "x" }, "post-deleted"],
    ["a like of a deleted post", "alice", "dave", "like", { target: gone.id, on: true }, "post-deleted"],
    ["a like of something that is no post", "alice", "dave", "like", { target: tomb.id, on: true }, "no-such-post"],
    ["its author deletes a post", "alice", "bob", "delete", { target: post.id }, null],
    ["the wall's owner deletes a post", "alice", "alice", "delete", { target: post.id }, null],
    ["the owner in another letter case", "alice", "ALICE", "delete", { target: post.id }, null],
    ["someone else deletes a post", "alice", "dave", "delete", { target: post.id }, "may-not-delete"],
    ["deleting a delete", "alice", "alice", "delete", { target: tomb.id }, "nothing-to-delete"],
  ] as const)("%s", (_name, wall, author, kind, body, code) => {
    expect(writeRefusal(log, wall, author, kind, body)?.code ?? null).toBe(code);
  });
});

describe("walls", () => {
  it("I serve my own wall to others, in any letter case, and nobody else's", () => {
    expect(mayServeWall("alice", "bob", "alice")).toBe(true);
    expect(mayServeWall("Alice", "bob", "alice")).toBe(true);
    expect(mayServeWall("carol", "bob", "alice")).toBe(false);
    expect(mayServeWall("alice", "alice", "alice")).toBe(false);
  });
  it("a wall is accepted from its owner only", () => {
    expect(mayAcceptWall("bob", "bob")).toBe(true);
    expect(mayAcceptWall("bob", "BOB")).toBe(true);
    expect(mayAcceptWall("carol", "bob")).toBe(false);
  });
});

describe("photos", () => {
  const photo = (full: string, thumb: string): PhotoRef => ({ full, thumb, mime: "image/jpeg", w: 10, h: 10 });
  const A = "a".repeat(64);
  const B = "b".repeat(64);
  const friends = new Set(["bob", "carol"]);
  const isFriend = (h: string) => friends.has(h.toLowerCase());

  it("serves my own photos, and fetched ones only to who may see the wall they came for", () => {
    expect(mayServePhoto({ mine: true }, "bob", "alice")).toBe(true);
    expect(mayServePhoto({ mine: false, wall: "alice" }, "bob", "alice")).toBe(true);
    expect(mayServePhoto({ mine: false, wall: "bob" }, "bob", "alice")).toBe(true);
    expect(mayServePhoto({ mine: false, wall: "Bob" }, "bob", "alice")).toBe(true);
    // The hash trick: a photo I fetched for carol's wall, asked for by bob.
    expect(mayServePhoto({ mine: false, wall: "carol" }, "bob", "alice")).toBe(false);
  });

  it("comes from the wall's owner and the post's author, friends only, with its kind's ceiling", () => {
    const onCarols = ev("carol", "bob", "post", { text: "", photos: [photo(A, B)] }, 1);
    expect(photoSource(A, [onCarols], "alice", isFriend)).toEqual({
      sources: ["carol", "bob"],
      kind: "full",
      maxBytes: FULL_PHOTO_BYTES,
      wall: "carol",
      by: undefined,
    });
    expect(photoSource(B, [onCarols], "alice", isFriend)).toMatchObject({ kind: "thumb", maxBytes: THUMB_PHOTO_BYTES });
    expect(photoSource("c".repeat(64), [onCarols], "alice", isFriend)).toBeNull();
    const byStranger = ev("carol", "mallory", "post", { text: "", photos: [photo(A, B)] }, 2);
    expect(photoSource(A, [byStranger], "alice", isFriend)?.sources).toEqual(["carol"]);
  });

  it("counts a friend's photo on my wall against them, and my wall's post decides the origin", () => {
    const onCarols = ev("carol", "carol", "post", { text: "", photos: [photo(A, B)] }, 1);
    const onMine = ev("alice", "bob", "post", { text: "", photos: [photo(A, B)] }, 1);
    expect(photoSource(A, [onCarols, onMine], "alice", isFriend)).toEqual({
      sources: ["bob", "carol"],
      kind: "full",
      maxBytes: FULL_PHOTO_BYTES,
      wall: "alice",
      by: "bob",
    });
    const mineByMe = ev("alice", "alice", "post", { text: "", photos: [photo(A, B)] }, 2);
    expect(photoSource(A, [mineByMe], "alice", isFriend)?.by).toBeUndefined();
  });

  it("asks for thumbnails of every post, and full images of my wall's", () => {
    const onMine = ev("alice", "bob", "post", { text: "", photos: [photo(A, B)] }, 1);
    const onBobs = ev("bob", "bob", "post", { text: "", photos: [photo("c".repeat(64), "d".repeat(64))] }, 1);
    expect(photoNeeds([onMine, onBobs], "alice")).toEqual([
      { hash: B, keep: true },
      { hash: A, keep: true },
      { hash: "d".repeat(64), keep: false },
    ]);
  });
});

describe("time and names", () => {
  it("orders an event by its author's clock, but never after I first held it", () => {
    expect(orderTime(1000, undefined)).toBe(1000);
    expect(orderTime(1000, 5000)).toBe(1000);
    expect(orderTime(90_000_000, 5000)).toBe(5000);
  });
  it("never shows a vouched-for author I blocked", () => {
    const blocked = (h: string) => h.toLowerCase() === "mallory";
    expect(mayShowVouchedAuthor("dave", blocked)).toBe(true);
    expect(mayShowVouchedAuthor("Mallory", blocked)).toBe(false);
  });
});
