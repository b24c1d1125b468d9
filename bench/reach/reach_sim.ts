// The reach simulation (make bench-reach): a week of a thousand people's Peerwall, the real sync
// code (events, signatures, policy, protocol, the engine itself) over the simulated network, on a
// virtual clock. Run twice on the same week: friends syncing only with the walls' owners (direct
// delivery) and with store and forward. Reports how soon each write reaches every friend who may
// see it, what carrying costs, what each browser stores, and the most any protocol could do with
// the same online windows (oracle()).
//
//   node reach_sim.mjs [--users N] [--days D] [--seed S] [--mode both|direct|forward]
//                      [--sessions W1,W2,...] [--minutes LO,HI] [--out FILE.json] [--md FILE.md]
import { createPeerwall } from "../../frontend/src/app/peerwall";
import { generateIdentity } from "../../frontend/src/crypto/identity";
import type { StoredEvent } from "../../frontend/src/store/db";
import type { Engine } from "../../frontend/src/sync/engine";
import { SimLink, SimNetwork, type SimTransport } from "../../frontend/test/sim";
import { VirtualClock } from "./clock";
import { MemoryRepository } from "./memoryRepo";
import { type Action, DEFAULTS, makeWorld, type Params, random, type World } from "./model";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC
const WINDOWS: Record<string, number> = { "1 h": HOUR, "6 h": 6 * HOUR, "24 h": DAY, "at all": Number.MAX_SAFE_INTEGER };

interface Member {
  handle: string;
  engine: Engine;
  transport: SimTransport;
  repo: MemoryRepository;
  /** Posts this person holds, newest last, for comments and likes to pick from. */
  posts: { wall: string; id: string; at: number }[];
}

/** Shares of (write, friend) pairs, and of writes that reached everyone, within each window. */
interface Bound {
  pairs: Record<string, number>;
  everyone: Record<string, number>;
}

interface Written {
  id: string;
  wall: number;
  author: number;
  at: number;
}

export interface RunResult {
  mode: "direct" | "forward";
  writes: number;
  deliveries: number;
  /** Share of writes that reached every friend who may see them within each window. */
  everyone: Record<string, number>;
  /** Share of (write, friend who may see it) pairs reached within each window. */
  pairs: Record<string, number>;
  /** The same within 24 h, apart: posts on one's own wall; writes on another's wall. */
  within24hByKind: { ownWall: number; othersWalls: number };
  /** The most any protocol could do with the same online windows (oracle()), over a sample. */
  bound?: Bound;
  /** The same bound if only a write's author may hand it to a carrier (one hop to the owner). */
  boundOneHop?: Bound;
  delayMinutes: { p50: number | null; p90: number | null; p99: number | null };
  carriedBytesPerUserDay: { mean: number; p99: number };
  allBytesPerUserDay: { mean: number; p99: number };
  storagePerUser: { meanKB: number; p99KB: number; meanEvents: number };
  frames: Record<string, number>;
  simulatedDays: number;
  wallSeconds: number;
  timersFired: number;
}

function args(): { params: Params; modes: ("direct" | "forward")[]; out: string; md: string } {
  const argv = process.argv.slice(2);
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const params = { ...DEFAULTS };
  if (get("users")) params.users = Number(get("users"));
  if (get("days")) params.days = Number(get("days"));
  if (get("seed")) params.seed = Number(get("seed"));
  // Another online habit: weights for 1, 2, 3... sessions a day, and their length in minutes.
  if (get("sessions")) params.sessionsPerDay = get("sessions")!.split(",").map(Number);
  if (get("minutes")) params.sessionMinutes = get("minutes")!.split(",").map(Number) as [number, number];
  const mode = get("mode") ?? "both";
  const modes: ("direct" | "forward")[] = mode === "both" ? ["direct", "forward"] : [mode as "direct" | "forward"];
  return { params, modes, out: get("out") ?? "", md: get("md") ?? "" };
}

function quantile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * The most any protocol could do with these online windows: at the moment two friends are online
 * together, a write passes between them if the rules let it. On its way to the wall's owner it is
 * carried by its author and by friends of both; once the owner has placed it, it spreads among the
 * owner and the owner's friends. Only the placed copy counts as arrived. No link setup, no delay.
 */
function oracle(
  world: World,
  writes: Written[],
  end: number,
  sample: number,
  seed: number,
  relay: "author" | "mutual" = "mutual",
): Bound {
  const rand = random(seed);
  const picked = [...writes].sort(() => rand() - 0.5).slice(0, sample);
  const slot = 15_000;
  const slots = Math.ceil((end - START) / slot);
  const online: number[][] = Array.from({ length: slots }, () => []);
  for (const s of world.sessions) {
    const first = Math.max(0, Math.floor((s.start - START) / slot));
    for (let k = first; k < Math.min(slots, Math.ceil((s.end - START) / slot)); k++) online[k]!.push(s.who);
  }
  for (const list of online) list.sort((a, b) => a - b);
  const here = online.map((list) => new Set(list));
  // Slots whose online people differ from the slot before: elsewhere nothing new can meet.
  const differs = online.map((list, k) => k === 0 || list.length !== online[k - 1]!.length || list.some((x, i) => x !== online[k - 1]![i]));
  const { people } = world;
  const hits: Record<string, number> = {};
  const everyone: Record<string, number> = {};
  let pairs = 0;
  for (const w of picked) {
    const circle = new Set([w.wall, ...people[w.wall]!.friends]);
    const author = people[w.author]!;
    const carrying = new Set<number>([w.author]);
    const got = new Map<number, number>();
    if (w.author === w.wall) got.set(w.wall, w.at);
    const mayCarry = (x: number) => x === w.wall || (circle.has(x) && author.friends.has(x));
    let settled = false;
    for (let k = Math.max(0, Math.floor((w.at - START) / slot)); k < slots && got.size < circle.size; k++) {
      if (settled && !differs[k]) continue;
      const on = here[k]!;
      const at = START + k * slot;
      let any = false;
      for (let changed = true; changed; ) {
        changed = false;
        // On its way to the owner: from whoever carries it (its author only, one hop) to friends of both.
        if (!got.has(w.wall))
          for (const h of [...carrying]) {
            if (!on.has(h) || (relay === "author" && h !== w.author)) continue;
            for (const x of people[h]!.friends)
              if (on.has(x) && !carrying.has(x) && mayCarry(x)) {
                carrying.add(x);
                if (x === w.wall) got.set(x, at);
                changed = true;
              }
          }
        // Placed: from any holder to the owner's friends who meet them.
        for (const h of [...got.keys()]) {
          if (!on.has(h) || !circle.has(h)) continue;
          for (const x of people[h]!.friends)
            if (on.has(x) && circle.has(x) && !got.has(x)) {
              got.set(x, at);
              changed = true;
            }
        }
        any ||= changed;
      }
      settled = !any;
    }
    let worst = 0;
    for (const j of circle) {
      if (j === w.author) continue;
      pairs++;
      const t = got.get(j);
      worst = Math.max(worst, t === undefined ? Infinity : t - w.at);
      for (const [name, ms] of Object.entries(WINDOWS)) if (t !== undefined && t - w.at <= ms) hits[name] = (hits[name] ?? 0) + 1;
    }
    for (const [name, ms] of Object.entries(WINDOWS)) if (worst <= ms) everyone[name] = (everyone[name] ?? 0) + 1;
  }
  const share = (counts: Record<string, number>, of: number) =>
    Object.fromEntries(Object.keys(WINDOWS).map((n) => [n, (counts[n] ?? 0) / Math.max(1, of)]));
  return { pairs: share(hits, pairs), everyone: share(everyone, picked.length) };
}

async function run(world: World, params: Params, mode: "direct" | "forward"): Promise<RunResult> {
  const began = performance.now();
  const clock = new VirtualClock(START - HOUR);
  clock.install();
  SimLink.record = false;
  const net = new SimNetwork();
  const { people } = world;
  const handles = people.map((p) => p.handle);
  const index = new Map(handles.map((h, i) => [h, i]));

  // Who holds which write, and since when (the first time each store held it).
  const written = new Map<string, Written>();
  const arrived = new Map<string, Map<number, number>>();
  const sentBytes = new Float64Array(people.length);
  const carriedBytes = new Float64Array(people.length);
  const frames = new Map<string, number>();
  SimLink.measure = (from, frame, bytes) => {
    const me = from.partner!.peer;
    const sender = index.get(me);
    if (sender === undefined) return;
    sentBytes[sender]! += bytes;
    const f = frame as { t: string; wall?: string; event?: { author: string } };
    const carried =
      f.t === "carry" ||
      f.t === "have" ||
      (f.t === "events" && f.wall !== undefined && f.wall.toLowerCase() !== me) ||
      (f.t === "deliver" && f.event !== undefined && f.event.author.toLowerCase() !== me);
    if (carried) carriedBytes[sender]! += bytes;
    const name = f.t === "events" && carried ? "events (carried)" : f.t;
    frames.set(name, (frames.get(name) ?? 0) + 1);
  };

  // Everyone's key first: friends are pinned to each other from the start (they met before).
  const identities = await Promise.all(people.map(() => generateIdentity()));
  const members: Member[] = [];
  for (const [i, person] of people.entries()) {
    const repo = new MemoryRepository();
    await repo.saveIdentity({ id: "me", ...identities[i]! });
    for (const j of person.friends) {
      await repo.saveFriend({ handle: handles[j]!, name: handles[j]!, state: "accepted", key: identities[j]!.publicKey, since: 0 });
    }
    repo.onNewEvent = (event: StoredEvent) => {
      if (event.kind === "post") members[i]?.posts.push({ wall: event.wall, id: event.id, at: clock.now });
      if (!written.has(event.id)) return;
      let who = arrived.get(event.id);
      if (!who) arrived.set(event.id, (who = new Map()));
      if (!who.has(i)) who.set(i, clock.now);
    };
    const transport = net.transport(person.handle);
    const { engine } = await createPeerwall({
      me: person.handle,
      repo: repo.asRepository(),
      transport,
      lookup: async (wanted) => (index.has(wanted.toLowerCase()) ? wanted.toLowerCase() : null),
      now: () => clock.now,
      log: () => {},
      storeAndForward: mode === "forward",
    });
    engine.start();
    members.push({ handle: person.handle, engine, transport, repo, posts: [] });
  }
  await clock.runUntil(START);

  // The week: sessions open and close the app; writes happen inside them.
  const at = (time: number, fn: () => void | Promise<void>) => setTimeout(() => void fn(), time - clock.now);
  for (const s of world.sessions) {
    at(s.start, () => members[s.who]!.transport.goOnline());
    at(s.end, () => members[s.who]!.transport.goOffline());
  }
  const refused = new Map<string, number>();
  const act = async (a: Action) => {
    const m = members[a.who]!;
    const friends = [...people[a.who]!.friends];
    try {
      let event: { id: string; wall: string } | undefined;
      if (a.kind === "ownPost") event = await m.engine.post(m.handle, `a post by ${m.handle}`);
      else if (a.kind === "friendPost" && friends.length)
        event = await m.engine.post(handles[friends[Math.floor(a.pick * friends.length)]!]!, `hello from ${m.handle}`);
      else {
        // A comment or a like on a post of the last two days that this person holds.
        const recent = m.posts.filter((p) => p.at > clock.now - 2 * DAY);
        if (!recent.length) return;
        const post = recent[Math.floor(a.pick * recent.length)]!;
        event =
          a.kind === "comment"
            ? await m.engine.comment(post.wall, post.id, `a comment by ${m.handle}`)
            : await m.engine.like(post.wall, post.id, true);
      }
      if (event) {
        written.set(event.id, { id: event.id, wall: index.get(event.wall.toLowerCase())!, author: a.who, at: clock.now });
        arrived.set(event.id, new Map([[a.who, clock.now]]));
      }
    } catch (error) {
      // A write the rules refuse (its post is not on that wall yet, say): people meet that too.
      refused.set(String(error), (refused.get(String(error)) ?? 0) + 1);
    }
  };
  for (const a of world.actions) at(a.at, () => act(a));

  const end = START + (params.days + params.tailDays) * DAY;
  for (let t = START; t < end; t += 12 * HOUR) {
    await clock.runUntil(Math.min(end, t + 12 * HOUR));
    const elapsed = ((performance.now() - began) / 1000).toFixed(0);
    process.stderr.write(`  ${mode}: day ${((clock.now - START) / DAY).toFixed(1)}, ${written.size} writes, ${elapsed} s\n`);
  }
  for (const m of members) m.engine.stop();
  if (refused.size) process.stderr.write(`  ${mode}: writes refused: ${JSON.stringify(Object.fromEntries(refused))}\n`);

  // Reach: each write's audience is its wall's owner and the owner's friends, but its author.
  const pairHits: Record<string, number> = {};
  const writeHits: Record<string, number> = {};
  const byKind = { own: { pairs: 0, day: 0 }, others: { pairs: 0, day: 0 } };
  const delays: number[] = [];
  let pairCount = 0;
  let counted = 0;
  const measured = [...written.values()].filter((w) => w.at <= START + params.days * DAY);
  for (const w of measured) {
    counted++;
    const audience = [w.wall, ...people[w.wall]!.friends].filter((j) => j !== w.author);
    const got = arrived.get(w.id) ?? new Map<number, number>();
    let worst = 0;
    for (const j of audience) {
      const t = got.get(j);
      const delay = t === undefined ? Infinity : t - w.at;
      worst = Math.max(worst, delay);
      pairCount++;
      const group = w.wall === w.author ? byKind.own : byKind.others;
      group.pairs++;
      if (delay <= DAY) group.day++;
      if (delay !== Infinity) delays.push(delay);
      for (const [name, ms] of Object.entries(WINDOWS)) if (delay <= ms) pairHits[name] = (pairHits[name] ?? 0) + 1;
    }
    for (const [name, ms] of Object.entries(WINDOWS)) if (worst <= ms) writeHits[name] = (writeHits[name] ?? 0) + 1;
  }
  delays.sort((a, b) => a - b);
  const minutes = (x: number | null) => (x === null ? null : Math.round((x / 60_000) * 10) / 10);
  const days = params.days + params.tailDays;
  const perDay = (values: Float64Array) => {
    const list = [...values].map((v) => v / days).sort((a, b) => a - b);
    return { mean: Math.round(list.reduce((a, b) => a + b, 0) / list.length), p99: Math.round(quantile(list, 0.99) ?? 0) };
  };
  const storage = members.map((m) => {
    let bytes = 0;
    for (const e of m.repo.eventsById.values()) bytes += JSON.stringify(e).length;
    return { bytes, events: m.repo.eventsById.size };
  });
  const storageBytes = storage.map((s) => s.bytes).sort((a, b) => a - b);
  return {
    mode,
    writes: counted,
    deliveries: pairCount,
    everyone: Object.fromEntries(Object.keys(WINDOWS).map((n) => [n, (writeHits[n] ?? 0) / Math.max(1, counted)])),
    pairs: Object.fromEntries(Object.keys(WINDOWS).map((n) => [n, (pairHits[n] ?? 0) / Math.max(1, pairCount)])),
    within24hByKind: {
      ownWall: byKind.own.day / Math.max(1, byKind.own.pairs),
      othersWalls: byKind.others.day / Math.max(1, byKind.others.pairs),
    },
    bound: mode === "forward" ? oracle(world, measured, end, 400, params.seed) : undefined,
    boundOneHop: mode === "forward" ? oracle(world, measured, end, 400, params.seed, "author") : undefined,
    delayMinutes: { p50: minutes(quantile(delays, 0.5)), p90: minutes(quantile(delays, 0.9)), p99: minutes(quantile(delays, 0.99)) },
    carriedBytesPerUserDay: perDay(carriedBytes),
    allBytesPerUserDay: perDay(sentBytes),
    storagePerUser: {
      meanKB: Math.round(storageBytes.reduce((a, b) => a + b, 0) / storageBytes.length / 1024),
      p99KB: Math.round((quantile(storageBytes, 0.99) ?? 0) / 1024),
      meanEvents: Math.round(storage.reduce((a, s) => a + s.events, 0) / storage.length),
    },
    frames: Object.fromEntries([...frames].sort()),
    simulatedDays: days,
    wallSeconds: Math.round((performance.now() - began) / 1000),
    timersFired: clock.fired,
  };
}

async function main(): Promise<void> {
  const { params, modes, out, md } = args();
  const world = makeWorld(params, START);
  const degrees = world.people.map((p) => p.friends.size).sort((a, b) => a - b);
  const graph = {
    people: world.people.length,
    friendships: degrees.reduce((a, b) => a + b, 0) / 2,
    degree: {
      min: degrees[0],
      p50: quantile(degrees, 0.5),
      mean: Math.round(degrees.reduce((a, b) => a + b, 0) / degrees.length),
      max: degrees.at(-1),
    },
    sessions: world.sessions.length,
    onlineHoursPerPersonDay: Math.round((world.sessions.reduce((a, s) => a + s.end - s.start, 0) / HOUR / world.people.length / params.days) * 100) / 100,
    plannedWrites: world.actions.length,
  };
  process.stderr.write(`reach simulation: ${JSON.stringify(graph)}\n`);
  const results: RunResult[] = [];
  const { writeFileSync } = await import("node:fs");
  for (const mode of modes) {
    results.push(await run(world, params, mode));
    // What is done so far, should a later mode not finish.
    if (out) writeFileSync(out, JSON.stringify({ bench: "reach", partial: true, params, graph, results }, null, 1) + "\n");
  }
  const report = { bench: "reach", date: new Date().toISOString(), params, graph, results };
  process.stdout.write(JSON.stringify(report, null, 1) + "\n");
  if (out) writeFileSync(out, JSON.stringify(report, null, 1) + "\n");
  const summary = markdown(params, graph, results, report.date);
  process.stderr.write("\n" + summary);
  if (md) writeFileSync(md, summary);
}

const percent = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The summary bench/results/reach-latest.md keeps: direct delivery beside store and forward. */
function markdown(params: Params, graph: Record<string, unknown>, results: RunResult[], date: string): string {
  const direct = results.find((r) => r.mode === "direct");
  const forward = results.find((r) => r.mode === "forward");
  const cols = [direct, forward];
  const row = (label: string, f: (r: RunResult) => string, extra = "") =>
    `| ${label} | ${cols.map((r) => (r ? f(r) : "—")).join(" | ")} |${extra ? ` ${extra} |` : ""}`;
  const g = graph as { people: number; friendships: number; degree: Record<string, number>; sessions: number; onlineHoursPerPersonDay: number };
  const lines = [
    `# Reach: direct delivery beside store and forward`,
    ``,
    `${date}, \`make bench-reach\` (bench/reach/reach_sim.ts; the model in bench/README.md). ` +
      `${g.people} people, ${g.friendships} friendships (friends per person: min ${g.degree.min}, median ${g.degree.p50}, ` +
      `mean ${g.degree.mean}, max ${g.degree.max}), ${params.days} days of writes and ${params.tailDays} more day for them to arrive, ` +
      `${g.sessions} sessions (1, 2, 3... a day weighted ${params.sessionsPerDay.join(", ")}; ` +
      `${params.sessionMinutes[0]}–${params.sessionMinutes[1]} min each; online ${g.onlineHoursPerPersonDay} h a person a day), seed ${params.seed}.`,
    ``,
    `A write reaches its audience (the wall's owner and the owner's friends, but its author) when it is`,
    `in their store in its signed place on the wall. The bound is the most any protocol could do with the`,
    `same online windows and the same rules: a write passes between two friends the moment both are online`,
    `(no link set-up, no delay), travelling to the owner through friends of both, then from the owner's copy`,
    `among the owner's friends; it is computed on a sample of 400 writes.`,
    ``,
    `| share of (write, friend) pairs reached | direct only | store and forward | bound (any protocol) | bound, writes handed on by their author only |`,
    `| --- | --- | --- | --- | --- |`,
    ...["1 h", "6 h", "24 h", "at all"].map((w) =>
      row(`within ${w}`.replace("within at all", "by the end"), (r) => percent(r.pairs[w]), `${percent(forward?.bound?.pairs[w])} | ${percent(forward?.boundOneHop?.pairs[w])}`),
    ),
    ``,
    `| share of writes that reached **every** friend who may see them | direct only | store and forward | bound (any protocol) |`,
    `| --- | --- | --- | --- |`,
    ...["1 h", "6 h", "24 h", "at all"].map((w) =>
      row(`within ${w}`.replace("within at all", "by the end"), (r) => percent(r.everyone[w]), percent(forward?.bound?.everyone[w])),
    ),
    ``,
    `| measure | direct only | store and forward |`,
    `| --- | --- | --- |`,
    row("within 24 h: posts on one's own wall", (r) => percent(r.within24hByKind.ownWall)),
    row("within 24 h: posts, comments, likes on another's wall", (r) => percent(r.within24hByKind.othersWalls)),
    row("delay p50 / p90 / p99 (of those that arrived)", (r) => `${r.delayMinutes.p50} / ${r.delayMinutes.p90} / ${r.delayMinutes.p99} min`),
    row("bytes carried for others, per user per day (mean / p99)", (r) => `${kb(r.carriedBytesPerUserDay.mean)} / ${kb(r.carriedBytesPerUserDay.p99)}`),
    row("all bytes sent, per user per day (mean / p99)", (r) => `${kb(r.allBytesPerUserDay.mean)} / ${kb(r.allBytesPerUserDay.p99)}`),
    row("events stored per user (mean)", (r) => String(r.storagePerUser.meanEvents)),
    row("storage per user, mean / p99 (events as JSON, no photos)", (r) => `${r.storagePerUser.meanKB} KB / ${r.storagePerUser.p99KB} KB`),
    row("writes measured / (write, friend) pairs", (r) => `${r.writes} / ${r.deliveries}`),
    row("run time (wall clock) / timers fired", (r) => `${r.wallSeconds} s / ${r.timersFired}`),
    ``,
    `Frames sent, by type: ${cols.map((r) => (r ? `${r.mode}: ${Object.entries(r.frames).map(([k, v]) => `${k} ${v}`).join(", ")}` : "")).filter(Boolean).join("; ")}.`,
    ``,
  ];
  return lines.join("\n");
}

void main();
