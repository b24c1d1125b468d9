import { describe, expect, it } from "vitest";
import type { WallEvent } from "../src/sync/events";
import { BATCH_BYTES, batchEvents, MAX_FRAME_BYTES, parseFrame } from "../src/sync/frames";
import { buildWall } from "../src/sync/wall";

function event(seq: number, extra: Partial<WallEvent> = {}): WallEvent {
  return {
    id: `event${String(seq).padStart(8, "0")}`,
    wall: "alice",
    author: "alice",
    kind: "post",
    ts: 1_700_000_000_000 + seq,
    body: { text: `post number ${seq} ${"é".repeat(seq % 50)}` },
    sig: "A".repeat(86),
    seq,
    ...extra,
  } as WallEvent;
}

describe("parseFrame", () => {
  it.each([
    [null],
    ["hello"],
    [{ t: "nope" }],
    [{ t: "hello", v: 2, handle: "bob", key: "A".repeat(43), nonce: "n".repeat(20) }],
    [{ t: "hello", v: 1, handle: "<b>bob</b>", key: "A".repeat(43), nonce: "n".repeat(20) }],
    [{ t: "sync", wall: "bob", since: -1 }],
    [{ t: "events", wall: "bob", events: [{ junk: true }], keys: {}, upto: 1, done: true }],
    [{ t: "events", wall: "bob", events: [], keys: { "bad handle": "x" }, upto: 1, done: true }],
    [{ t: "deliver", event: event(1) }],
    [{ t: "event", event: { ...event(1), seq: undefined } }],
    [{ t: "ack", id: "x", seq: 1 }],
  ])("drops %j with a reason", (raw) => {
    const parsed = parseFrame(raw, 1_800_000_000_000);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(3);
  });

  it("accepts the frames of an honest peer", () => {
    const now = 1_800_000_000_000;
    expect(parseFrame({ t: "sync", wall: "bob", since: 0 }, now).ok).toBe(true);
    expect(parseFrame({ t: "events", wall: "alice", events: [event(1)], keys: {}, upto: 1, done: true }, now).ok).toBe(true);
    expect(parseFrame({ t: "deliver", event: { ...event(1), seq: undefined } }, now).ok).toBe(true);
  });
});

describe("batchEvents", () => {
  it("splits a large wall into frames below the data channel limit, in order, losing nothing", () => {
    const events = Array.from({ length: 2000 }, (_, i) => event(i + 1));
    const batches = [...batchEvents("alice", events, () => "K".repeat(43), 2000)];
    const frames = batches.map((b) => b.frame);
    expect(frames.length).toBeGreaterThan(20);
    const seqs: number[] = [];
    frames.forEach((frame, i) => {
      expect(new TextEncoder().encode(JSON.stringify(frame)).length).toBeLessThan(MAX_FRAME_BYTES + 2000);
      expect(JSON.stringify(frame).length).toBeLessThanOrEqual(BATCH_BYTES + 400);
      // The size it is sent with (and counted against budgets by) is the frame's, near enough.
      expect(Math.abs(batches[i]!.size - JSON.stringify(frame).length)).toBeLessThan(120);
      if (frame.t !== "events") throw new Error("not an events frame");
      expect(frame.done).toBe(i === frames.length - 1);
      seqs.push(...frame.events.map((e) => e.seq!));
    });
    expect(seqs).toEqual(events.map((e) => e.seq));
  });

  it("answers an empty wall with one final frame", () => {
    expect([...batchEvents("alice", [], () => undefined, 0)].map((b) => b.frame)).toEqual([
      { t: "events", wall: "alice", events: [], keys: {}, upto: 0, done: true },
    ]);
  });
});

describe("buildWall", () => {
  const post = (seq: number, author = "alice") => event(seq, { author, id: `post${String(seq).padStart(8, "0")}` });
  const of = (seq: number, author: string, kind: WallEvent["kind"], body: object) =>
    event(seq, { author, kind, body, id: `ev${String(seq).padStart(10, "0")}` } as Partial<WallEvent>);

  it("shows posts newest first with comments oldest first and current likes", () => {
    const p1 = post(1);
    const p2 = post(2, "bob");
    const events = [
      p1,
      p2,
      of(3, "bob", "comment", { post: p1.id, text: "first" }),
      of(4, "carol", "comment", { post: p1.id, text: "second" }),
      of(5, "bob", "like", { target: p1.id, on: true }),
      of(6, "carol", "like", { target: p1.id, on: true }),
      of(7, "bob", "like", { target: p1.id, on: false }),
    ];
    const wall = buildWall("alice", events, new Set());
    expect(wall.map((p) => p.event.id)).toEqual([p2.id, p1.id]);
    expect(wall[1]!.comments.map((c) => c.event.body.text)).toEqual(["first", "second"]);
    expect(wall[1]!.likes).toEqual(["carol"]);
  });

  it("honours deletes by the author or the owner only", () => {
    const byBob = post(1, "bob");
    const byCarol = post(2, "carol");
    const events = [
      byBob,
      byCarol,
      of(3, "bob", "delete", { target: byBob.id }), // author: allowed
      of(4, "bob", "delete", { target: byCarol.id }), // neither author nor owner: ignored
    ];
    expect(buildWall("alice", events, new Set()).map((p) => p.event.id)).toEqual([byCarol.id]);
    events.push(of(5, "alice", "delete", { target: byCarol.id })); // the owner: allowed
    expect(buildWall("alice", events, new Set())).toEqual([]);
  });

  it("marks pending events and puts them on top", () => {
    const pending = { ...post(1, "bob"), seq: undefined, ts: 1 };
    const wall = buildWall("alice", [post(5), pending], new Set([pending.id]));
    expect(wall[0]!.event.id).toBe(pending.id);
    expect(wall[0]!.pending).toBe(true);
    expect(wall[1]!.pending).toBe(false);
  });

  it("puts what is kept of a wall from before its owner's new key below the wall served now", () => {
    const kept = [post(1), post(2)].map((e) => ({ ...e, seq: undefined }));
    const now = { ...post(1), id: "post-new-wall-1", ts: 0 };
    const pending = { ...post(9, "bob"), seq: undefined, ts: 0 };
    const wall = buildWall("alice", [now, ...kept, pending], new Set([pending.id]));
    expect(wall.map((p) => p.event.id)).toEqual([pending.id, now.id, kept[1]!.id, kept[0]!.id]);
    expect(wall.map((p) => p.pending)).toEqual([true, false, false, false]);
  });
});
