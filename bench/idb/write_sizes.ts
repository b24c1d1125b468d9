// How long the app's own store takes to write a catch-up, by the size of its transactions:
// Repository.write, as a catch-up calls it, on a fresh database, with events shaped like the sync
// benchmark's (a 150-character post, with seq, dev and a place signature). Bundled and injected by
// bench/idb_write_bench.py, where it defines window.peerwallWriteSizes.
import { openDatabase, type StoredEvent } from "../../frontend/src/store/db";
import { Repository } from "../../frontend/src/store/repository";

declare global {
  interface Window {
    peerwallWriteSizes: (size: number, total: number, name: string) => Promise<{ ms: number; longestTaskMs: number; longTasksMs: number }>;
  }
}

const SIG = "s".repeat(86);

function event(i: number): StoredEvent {
  const text = `bench post ${i} `.padEnd(150, "x");
  return { id: `e${String(i).padStart(21, "0")}`, wall: "alice", author: "alice", kind: "post", ts: 1_700_000_000_000 + i, body: { text }, sig: SIG, seq: i + 1, dev: "abcd1234", osig: SIG } as StoredEvent;
}

window.peerwallWriteSizes = async (size, total, name) => {
  const repo = new Repository(await openDatabase(name));
  const events = Array.from({ length: total }, (_, i) => event(i));
  const tasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push(entry.duration);
  });
  observer.observe({ type: "longtask" });
  const t0 = performance.now();
  for (let start = 0; start < total; start += size) await repo.write({ events: events.slice(start, start + size) });
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  repo.close();
  return { ms, longestTaskMs: Math.max(0, ...tasks), longTasksMs: tasks.reduce((a, b) => a + b, 0) };
};
