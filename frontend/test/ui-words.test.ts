import { describe, expect, it } from "vitest";
import { parseRoute, wallHref } from "../src/ui/route";
import { connectionWords, likeSentence, outboxSentence, plural, remaining } from "../src/ui/words";

describe("likeSentence", () => {
  it("is empty when no one likes it", () => expect(likeSentence([], "alice")).toBe(""));
  it("puts me first", () => {
    expect(likeSentence(["alice"], "alice")).toBe("You like this");
    expect(likeSentence(["bob", "alice"], "alice")).toBe("You and @bob like this");
    expect(likeSentence(["bob", "alice", "carol"], "alice")).toBe("You and 2 others like this");
  });
  it("names others", () => {
    expect(likeSentence(["bob"], "alice")).toBe("@bob likes this");
    expect(likeSentence(["bob", "carol"], "alice")).toBe("@bob and @carol like this");
    expect(likeSentence(["bob", "carol", "dave"], "alice")).toBe("@bob and 2 others like this");
  });
});

describe("connectionWords", () => {
  const text = (w: { label: string; detail: string }) => w.label + w.detail;
  it("says the state in plain words", () => {
    expect(text(connectionWords({ kind: "online" }, 0, 0))).toBe("Online");
    expect(text(connectionWords({ kind: "connecting" }, 0, 0))).toBe("Connecting…");
    expect(text(connectionWords({ kind: "refused", reason: "log in again" }, 0, 0))).toBe("Not connected: log in again");
  });
  it("counts the retry down, apart from what is read out", () => {
    const state = { kind: "offline", reason: "network", retryInMs: 5000 } as const;
    expect(connectionWords(state, 10_000, 5_000)).toEqual({ label: "Offline", detail: " — retrying in 5 s" });
    expect(text(connectionWords(state, 10_000, 9_100))).toBe("Offline — retrying in 1 s");
    expect(text(connectionWords(state, 10_000, 10_000))).toBe("Offline — retrying now");
  });
});

describe("small words", () => {
  it("plural", () => {
    expect(plural(1, "item")).toBe("1 item");
    expect(plural(2, "item")).toBe("2 items");
  });
  it("outbox", () => {
    expect(outboxSentence(0)).toContain("delivered");
    expect(outboxSentence(2)).toMatch(/^2 items waiting to be delivered/);
  });
  it("remaining", () => {
    expect(remaining(10, 5000, 500)).toBeNull();
    expect(remaining(4600, 5000, 500)).toBe(400);
    expect(remaining(5001, 5000, 500)).toBe(-1);
  });
});

describe("parseRoute", () => {
  it("knows the views", () => {
    expect(parseRoute("", "alice")).toEqual({ name: "wall", handle: "alice" });
    expect(parseRoute("#/", "alice")).toEqual({ name: "wall", handle: "alice" });
    expect(parseRoute("#/feed", "alice")).toEqual({ name: "feed" });
    expect(parseRoute("#/friends/", "alice")).toEqual({ name: "friends" });
    expect(parseRoute("#/settings", "alice")).toEqual({ name: "settings" });
    expect(parseRoute("#/wall/bob", "alice")).toEqual({ name: "wall", handle: "bob" });
    expect(parseRoute("#/wall/%40bob", "alice")).toEqual({ name: "wall", handle: "bob" });
  });
  it("is my wall for my own handle in any case", () => {
    expect(parseRoute("#/wall/ALICE", "alice")).toEqual({ name: "wall", handle: "alice" });
  });
  it("falls back to my wall for anything unknown or malformed", () => {
    for (const hash of ["#/nope", "#/wall/", "#/wall/bad-handle!", "#/wall/%E0%A4%A", "#/wall/a/b", "#garbage"]) {
      expect(parseRoute(hash, "alice")).toEqual({ name: "wall", handle: "alice" });
    }
  });
  it("round-trips wall links", () => {
    expect(parseRoute(wallHref("bob_2"), "alice")).toEqual({ name: "wall", handle: "bob_2" });
  });
});
