// Every event I hold, by id and by wall, with each wall's cursor (its highest seq): written to
// the store durably first, then remembered, so what the views show is always on disk.
import type { BlobRecord, StoredEvent } from "../../store/db";
import type { Repository } from "../../store/repository";
import { type Cursor, type DeleteBody, type FriendsBody, type PostBody, stripSeq, streamOf, type WallEvent } from "../events";
import { canon } from "../handles";
import { orderTime, type WallReader } from "../policy";
import { removes } from "../wall";
import { beyond, WallPlaces } from "./places";

/** Outbox rows written in the same transaction as events (the outbox part keeps its own memory). */
/** What is written in the same transaction as the events: all of it lands, or none. */
export interface Alongside {
  outboxAdd?: { id: string; to: string; createdAt: number }[];
  outboxRemove?: string[];
  /** The photos the events name (mine, with my post). */
  blobs?: BlobRecord[];
}

export class EventLog implements WallReader {
  private readonly byId = new Map<string, WallEvent>();
  private readonly byWall = new Map<string, Map<string, WallEvent>>();
  /** Bumped when a wall's events or pending marks change: its derived views are kept till then. */
  private readonly versions = new Map<string, number>();
  /** Each wall's places held, stream by stream, and how far each runs without a gap. */
  private readonly places = new Map<string, WallPlaces>();
  /** Events a friend carried to me whose wall's owner has not confirmed them yet: who carried each. */
  private readonly carriers = new Map<string, string>();
  /** Each wall's latest signed friend list, as canonical handles. */
  private readonly friendLists = new Map<string, { ts: number; id: string; friends: Set<string>; removed: Set<string> }>();
  /** The delete events naming each target (by target id). */
  private readonly deletes = new Map<string, Set<string>>();
  /** Each photo hash, and the posts that carry it. */
  private readonly photoPosts = new Map<string, Set<string>>();
  /**
   * Places held by an event I keep at another place: two of the owner's devices each placed a
   * friend's write they were both handed while apart. Both places are the owner's word; the
   * second is kept as a place only, so the stream runs on without a gap.
   */
  private readonly alsoPlaced = new Map<string, [string, number][]>();
  /** When I first held an event its author dated in the future (see policy.orderTime). */
  private readonly firstHeld = new Map<string, number>();

  private constructor(
    private readonly repo: Repository,
    private readonly now: () => number,
  ) {}

  static async open(repo: Repository, now: () => number): Promise<EventLog> {
    const log = new EventLog(repo, now);
    const [events, held, via, also] = await Promise.all([
      repo.events(),
      repo.meta<Record<string, number>>("firstHeld"),
      repo.meta<Record<string, string>>("via"),
      repo.meta<Record<string, [string, number][]>>("alsoPlaced"),
    ]);
    for (const [wall, places] of Object.entries(also ?? {})) {
      log.alsoPlaced.set(wall, places);
      for (const [stream, seq] of places) log.placesOf(wall).add(stream, seq);
    }
    for (const [id, at] of Object.entries(held ?? {})) log.firstHeld.set(id, at);
    for (const [id, carrier] of Object.entries(via ?? {})) log.carriers.set(id, carrier);
    for (const e of events) log.remember(e as WallEvent);
    if (log.noteFuture(events as WallEvent[])) await log.saveFirstHeld();
    return log;
  }

  // --- reading ------------------------------------------------------------------------

  event(id: string): WallEvent | undefined {
    return this.byId.get(id);
  }

  /** Does the wall's owner's order already hold this event (it has a seq)? */
  ordered(id: string): boolean {
    return this.byId.get(id)?.seq !== undefined;
  }

  wallEvents(wall: string): Iterable<WallEvent> {
    return this.byWall.get(canon(wall))?.values() ?? [];
  }

  all(): Iterable<WallEvent> {
    return this.byId.values();
  }

  /** How many places of a wall I hold without a gap, all streams together: "how far", as one number. */
  cursor(wall: string): number {
    return this.places.get(canon(wall))?.count() ?? 0;
  }

  /** How far each stream of a wall runs without a gap: where a catch-up starts. */
  cursorOf(wall: string): Cursor {
    return this.places.get(canon(wall))?.cursor() ?? {};
  }

  /** The highest places I hold of a wall, all streams together (beyond the cursor when a carrier left a gap). */
  top(wall: string): number {
    return this.places.get(canon(wall))?.top() ?? 0;
  }

  /** The next place in a stream of a wall: where my device puts its next event on my wall. */
  next(wall: string, stream: string): number {
    return (this.places.get(canon(wall))?.max(stream) ?? 0) + 1;
  }

  /** Who carried an event to me, while its wall's owner has not confirmed it. */
  via(id: string): string | undefined {
    return this.carriers.get(id);
  }

  /** Where the wall's owner should serve me again from: in each stream, the first carried event unconfirmed. */
  confirmFrom(wall: string): Cursor {
    const from = this.cursorOf(wall);
    for (const e of this.wallEvents(wall)) {
      if (e.seq === undefined || !this.carriers.has(e.id)) continue;
      const stream = streamOf(e);
      from[stream] = Math.min(from[stream] ?? 0, e.seq - 1);
    }
    return from;
  }

  /** A wall's owner's latest friend list (canonical handles); undefined before any. */
  friendList(wall: string): ReadonlySet<string> | undefined {
    return this.friendLists.get(canon(wall))?.friends;
  }

  /** The devices a wall's owner removed, by their latest friend list. */
  removedDevices(wall: string): ReadonlySet<string> {
    return this.friendLists.get(canon(wall))?.removed ?? new Set();
  }

  /** The walls I hold events of, with their cursors. */
  walls(): Map<string, number> {
    const out = new Map<string, number>();
    for (const key of this.byWall.keys()) out.set(key, this.cursor(key));
    return out;
  }

  version(wall: string): number {
    return this.versions.get(canon(wall)) ?? 0;
  }

  /**
   * The ordered events of a wall beyond ``cursor``: by place, and by stream name at one place.
   * Places run without gaps (nearly), so each stream's events are put in their slots rather than
   * sorted: serving a wall of 50,000 events costs one pass, not a sort that holds the page.
   */
  since(wall: string, cursor: Cursor): WallEvent[] {
    const held = [...this.wallEvents(wall)];
    const wanted = (e: WallEvent) => e.seq !== undefined && beyond(cursor, streamOf(e), e.seq);
    const slots = new Map<string, number>();
    for (const e of held) {
      if (!wanted(e)) continue;
      const stream = streamOf(e);
      slots.set(stream, Math.max(slots.get(stream) ?? 0, e.seq! - (cursor[stream] ?? 0)));
    }
    // Places far beyond what is held (a wall with wide gaps) are sorted instead.
    const spread = [...slots.values()].reduce((a, b) => a + b, 0);
    if (spread > 2 * held.length + 64) return sortByPlace(held.filter(wanted));
    const placed = new Map([...slots].map(([stream, n]) => [stream, new Array<WallEvent | undefined>(n)]));
    for (const e of held) {
      if (e.seq === undefined) continue;
      const stream = streamOf(e);
      const slot = e.seq - (cursor[stream] ?? 0) - 1;
      const list = placed.get(stream);
      if (!list || slot < 0) continue;
      // Two events at one place (never from an honest owner): the sort keeps both.
      if (list[slot]) return sortByPlace(held.filter(wanted));
      list[slot] = e;
    }
    const streams = [...placed.keys()].sort().map((stream) => placed.get(stream)!.filter((e): e is WallEvent => e !== undefined));
    if (streams.length === 1) return streams[0]!;
    // Merged place by place; at one place, streams by name (they are sorted by name).
    const out: WallEvent[] = [];
    const next = streams.map(() => 0);
    for (;;) {
      let pick = -1;
      streams.forEach((list, i) => {
        const e = list[next[i]!];
        if (e && (pick < 0 || e.seq! < streams[pick]![next[pick]!]!.seq!)) pick = i;
      });
      if (pick < 0) return out;
      out.push(streams[pick]![next[pick]!++]!);
    }
  }

  /** The posts that carry this photo hash. */
  /** Has someone allowed to (its author or the wall's owner) deleted this event, on its own wall? */
  isDeleted(id: string): boolean {
    const target = this.byId.get(id);
    if (!target) return false;
    for (const deleteId of this.deletes.get(id) ?? []) {
      const e = this.byId.get(deleteId);
      if (e && removes(e, target)) return true;
    }
    return false;
  }

  postsWithPhoto(hash: string): WallEvent[] {
    const out: WallEvent[] = [];
    for (const id of this.photoPosts.get(hash) ?? []) {
      const e = this.byId.get(id);
      if (e) out.push(e);
    }
    return out;
  }

  /** When an event happened, for ordering (see policy.orderTime). */
  orderTs(event: WallEvent): number {
    return orderTime(event.ts, this.firstHeld.get(event.id));
  }

  /** A wall's derived views are out of date (its pending marks changed, say). */
  touch(wall: string): void {
    const key = canon(wall);
    this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
  }

  // --- writing ------------------------------------------------------------------------

  /**
   * Stores events (with their outbox rows and photos) in one durable transaction, then remembers
   * the events.
   * ``via``: the friend who carried them (their wall's owner has not confirmed them yet).
   */
  async store(events: WallEvent[], alongside: Alongside = {}, via?: string): Promise<void> {
    await this.repo.write({ events: events as StoredEvent[], ...alongside });
    for (const e of events) this.remember(e);
    let carried = false;
    if (via) {
      for (const e of events) this.carriers.set(e.id, via);
      carried = events.length > 0;
    }
    if (this.noteFuture(events)) await this.saveFirstHeld();
    if (carried) await this.saveVia();
  }

  /** Events I hold already, seen at other places (checked): those places count as held. */
  async notePlaces(events: WallEvent[]): Promise<void> {
    let noted = false;
    for (const e of events) {
      const held = this.byId.get(e.id);
      if (e.seq === undefined || !held || (held.seq === e.seq && streamOf(held) === streamOf(e))) continue;
      const wall = canon(e.wall);
      if (this.placesOf(wall).has(streamOf(e), e.seq)) continue;
      this.placesOf(wall).add(streamOf(e), e.seq);
      let list = this.alsoPlaced.get(wall);
      if (!list) this.alsoPlaced.set(wall, (list = []));
      list.push([streamOf(e), e.seq]);
      noted = true;
    }
    if (noted) await this.repo.saveMeta("alsoPlaced", Object.fromEntries(this.alsoPlaced));
  }

  private placesOf(wallKey: string): WallPlaces {
    let held = this.places.get(wallKey);
    if (!held) this.places.set(wallKey, (held = new WallPlaces()));
    return held;
  }

  /** The wall's owner served these events themselves: they lose their "via" mark. */
  async confirm(ids: string[]): Promise<boolean> {
    let any = false;
    for (const id of ids) {
      if (!this.carriers.delete(id)) continue;
      any = true;
      const e = this.byId.get(id);
      if (e) this.touch(e.wall);
    }
    if (any) await this.saveVia();
    return any;
  }

  /**
   * Keeps a wall's events but takes them out of its owner's order: the owner came back with a
   * new key, and the wall they serve now is numbered from 1 again, so the old numbers would
   * hide the new events from every catch-up (and sort them among the old ones).
   */
  async unorder(wall: string): Promise<void> {
    const old = [...this.wallEvents(wall)].filter((e) => e.seq !== undefined).map(stripSeq);
    const key = canon(wall);
    // The places, the cursor and the friend list were the old numbering's: all start afresh.
    this.places.delete(key);
    this.alsoPlaced.delete(key);
    this.friendLists.delete(key);
    if (old.length) {
      await this.repo.write({ events: old as StoredEvent[] });
      for (const e of old) this.remember(e);
    }
  }

  /** Removes events from the store, then forgets them (and outbox rows with the same ids). */
  async unstore(ids: string[], outboxRemove: string[] = []): Promise<void> {
    await this.repo.write({ eventsRemove: ids, outboxRemove });
    for (const id of ids) this.forget(id);
  }

  private remember(event: WallEvent): void {
    const wallKey = canon(event.wall);
    this.byId.set(event.id, event);
    let wall = this.byWall.get(wallKey);
    if (!wall) this.byWall.set(wallKey, (wall = new Map()));
    wall.set(event.id, event);
    this.touch(wallKey);
    if (event.kind === "delete") {
      const target = (event.body as DeleteBody).target;
      let deletes = this.deletes.get(target);
      if (!deletes) this.deletes.set(target, (deletes = new Set()));
      deletes.add(event.id);
    }
    if (event.kind === "post") {
      for (const photo of (event.body as PostBody).photos ?? []) {
        for (const hash of [photo.full, photo.thumb]) {
          let posts = this.photoPosts.get(hash);
          if (!posts) this.photoPosts.set(hash, (posts = new Set()));
          posts.add(event.id);
        }
      }
    }
    if (event.seq !== undefined) {
      this.placesOf(wallKey).add(streamOf(event), event.seq);
      // The latest list by its author's clock: the owner's devices each publish their own.
      const latest = this.friendLists.get(wallKey);
      if (event.kind === "friends") {
        const body = event.body as FriendsBody;
        // A removal holds whichever list is latest: a device that did not hear of it yet does not undo it.
        const removed = new Set([...(latest?.removed ?? []), ...(body.removed ?? [])]);
        if (!latest || event.ts > latest.ts || (event.ts === latest.ts && event.id > latest.id))
          this.friendLists.set(wallKey, { ts: event.ts, id: event.id, friends: new Set(body.friends.map(canon)), removed });
        else latest.removed = removed;
      }
    }
  }

  private forget(id: string): void {
    const event = this.byId.get(id);
    if (!event) return;
    this.byId.delete(id);
    this.byWall.get(canon(event.wall))?.delete(id);
    this.firstHeld.delete(id);
    this.carriers.delete(id);
    this.touch(event.wall);
  }

  /** Notes when I first held events dated in the future; true if there were any. */
  private noteFuture(events: WallEvent[]): boolean {
    const now = this.now();
    let noted = false;
    for (const e of events) {
      if (e.ts > now && !this.firstHeld.has(e.id)) {
        this.firstHeld.set(e.id, now);
        noted = true;
      }
    }
    return noted;
  }

  private saveVia(): Promise<void> {
    return this.repo.saveMeta("via", Object.fromEntries(this.carriers));
  }

  private saveFirstHeld(): Promise<void> {
    return this.repo.saveMeta("firstHeld", Object.fromEntries(this.firstHeld));
  }
}

/** Events by place, and by stream name at one place. */
function sortByPlace(events: WallEvent[]): WallEvent[] {
  return events.sort((a, b) => a.seq! - b.seq! || (streamOf(a) < streamOf(b) ? -1 : 1));
}
