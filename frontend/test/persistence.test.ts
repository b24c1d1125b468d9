// The app must not wait for the browser's answer to persist(): Firefox gives it only once its
// prompt is answered, and never in some contexts.
import { describe, expect, it, vi } from "vitest";
import { askToPersist } from "../src/app/persistence";

const settle = () => new Promise((r) => setTimeout(r, 0));

function storage(persisted: boolean, persist: () => Promise<boolean>): StorageManager {
  return { persisted: async () => persisted, persist } as unknown as StorageManager;
}

describe("asking to persist", () => {
  it("answers at once, and keeps saying it is asking while the browser has not answered", async () => {
    const persist = vi.fn(() => new Promise<boolean>(() => {})); // a prompt nobody answers
    const state = askToPersist(storage(false, persist));
    expect(state.get()).toBe("asking");
    await settle();
    expect(persist).toHaveBeenCalledOnce();
    expect(state.get()).toBe("asking");
  });

  it("says so when the browser already keeps the data, without asking again", async () => {
    const persist = vi.fn(async () => true);
    const state = askToPersist(storage(true, persist));
    await settle();
    expect(state.get()).toBe("persistent");
    expect(persist).not.toHaveBeenCalled();
  });

  it("tells its subscribers the answer when it comes", async () => {
    let answer: (granted: boolean) => void = () => {};
    const state = askToPersist(storage(false, () => new Promise<boolean>((r) => (answer = r))));
    const seen: string[] = [];
    state.subscribe((v) => seen.push(v));
    await settle();
    answer(false);
    await settle();
    expect(seen).toEqual(["best-effort"]);
  });

  it("is best effort where there is no storage manager", async () => {
    const state = askToPersist(null);
    await settle();
    expect(state.get()).toBe("best-effort");
  });
});
