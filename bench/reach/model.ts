// The people of the reach simulation: who is friends with whom (clustered), in which time zone,
// when each is online (a few sessions a day), and what each writes while online. Everything comes
// from one seeded generator, so the two runs (direct only, store and forward) see the same week.

export interface Params {
  users: number;
  days: number;
  /** Days after the last write, so that every write has its full 24 h to arrive. */
  tailDays: number;
  seed: number;
  community: [number, number];
  /** Share of a person's friends in their own community. */
  inCommunity: number;
  degree: [number, number];
  /** UTC offsets in hours; a community mostly shares one. */
  zones: number[];
  zoneShare: number;
  /** Sessions a day: weights for 1, 2, 3 and 4. */
  sessionsPerDay: number[];
  /** When sessions start (local hours) and how long they last (minutes). */
  wakeHours: [number, number];
  sessionMinutes: [number, number];
  /** Mean writes per session (Poisson): posts on my wall, posts on a friend's, comments, likes. */
  perSession: { ownPost: number; friendPost: number; comment: number; like: number };
}

export const DEFAULTS: Params = {
  users: 1000,
  days: 7,
  tailDays: 1,
  seed: 20261206,
  community: [30, 80],
  inCommunity: 0.8,
  degree: [20, 150],
  zones: [-8, -5, -3, 0, 1, 3, 5.5, 9],
  zoneShare: 0.7,
  sessionsPerDay: [0.3, 0.35, 0.2, 0.15],
  wakeHours: [7, 24],
  sessionMinutes: [5, 60],
  perSession: { ownPost: 0.35, friendPost: 0.1, comment: 0.6, like: 1.0 },
};

/** mulberry32: small, fast, and the same numbers for the same seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Person {
  handle: string;
  community: number;
  zone: number;
  friends: Set<number>;
}

export interface Session {
  who: number;
  start: number;
  end: number;
}

export type ActionKind = "ownPost" | "friendPost" | "comment" | "like";

export interface Action {
  who: number;
  at: number;
  kind: ActionKind;
  /** A number to pick a friend or a post with, fixed by the seed. */
  pick: number;
}

export interface World {
  people: Person[];
  sessions: Session[];
  actions: Action[];
}

function poisson(rand: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k++;
  return k;
}

function between(rand: () => number, [lo, hi]: [number, number]): number {
  return lo + rand() * (hi - lo);
}

export function makeWorld(p: Params, start: number): World {
  const rand = random(p.seed);
  // Communities, each mostly in one time zone.
  const people: Person[] = [];
  let community = 0;
  while (people.length < p.users) {
    const size = Math.min(p.users - people.length, Math.round(between(rand, p.community)));
    const zone = p.zones[Math.floor(rand() * p.zones.length)]!;
    for (let i = 0; i < size; i++) {
      const own = rand() < p.zoneShare ? zone : p.zones[Math.floor(rand() * p.zones.length)]!;
      people.push({ handle: `u${String(people.length).padStart(4, "0")}`, community, zone: own, friends: new Set() });
    }
    community++;
  }
  const members = new Map<number, number[]>();
  people.forEach((person, i) => members.set(person.community, [...(members.get(person.community) ?? []), i]));
  // Degrees skewed low (most people have a few dozen friends, some many), 80% in-community.
  const wanted = people.map(() => Math.round(p.degree[0] + (p.degree[1] - p.degree[0]) * rand() ** 2));
  const order = people.map((_, i) => i).sort(() => rand() - 0.5);
  for (const i of order) {
    const own = members.get(people[i]!.community)!;
    for (let tries = 0; people[i]!.friends.size < wanted[i]! && tries < wanted[i]! * 20; tries++) {
      const pool = rand() < p.inCommunity && own.length > 1 ? own : null;
      const j = pool ? pool[Math.floor(rand() * pool.length)]! : Math.floor(rand() * people.length);
      if (j === i || people[j]!.friends.has(i) || people[j]!.friends.size >= wanted[j]! + 10) continue;
      people[i]!.friends.add(j);
      people[j]!.friends.add(i);
    }
  }
  // A few sessions a day, in each person's waking hours, and what they write in each.
  const sessions: Session[] = [];
  const actions: Action[] = [];
  const day = 24 * 3600_000;
  const cumulative = p.sessionsPerDay.map((_, i) => p.sessionsPerDay.slice(0, i + 1).reduce((a, b) => a + b, 0));
  for (let d = 0; d < p.days; d++) {
    people.forEach((person, who) => {
      const n = 1 + cumulative.findIndex((c) => rand() * cumulative.at(-1)! <= c);
      const local = start + d * day - person.zone * 3600_000;
      const mine: Session[] = [];
      for (let k = 0; k < n; k++) {
        const begin = Math.round(local + between(rand, p.wakeHours) * 3600_000);
        const end = Math.round(begin + between(rand, p.sessionMinutes) * 60_000);
        // Sessions of one person do not overlap: one tab, one app.
        if (mine.some((s) => begin < s.end + 60_000 && end > s.start - 60_000)) continue;
        mine.push({ who, start: begin, end });
      }
      for (const s of mine) {
        sessions.push(s);
        for (const kind of ["ownPost", "friendPost", "comment", "like"] as ActionKind[]) {
          for (let k = poisson(rand, p.perSession[kind]); k > 0; k--) {
            // Not in the first or last seconds: the app is connecting, or closing.
            const at = Math.round(s.start + 30_000 + rand() * Math.max(1, s.end - s.start - 45_000));
            actions.push({ who, at, kind, pick: rand() });
          }
        }
      }
    });
  }
  sessions.sort((a, b) => a.start - b.start);
  actions.sort((a, b) => a.at - b.at);
  return { people, sessions, actions };
}
