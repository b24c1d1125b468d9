// The local store behind one small interface: what the sync engine reads and writes.
import { fromBase64Url, toBase64Url } from "../crypto/encoding";
import type {
  BlobInfo,
  BlobRecord,
  Database,
  FriendRecord,
  IdentityRecord,
  MetaRecord,
  OutboxRecord,
  StoredEvent,
} from "./db";
import { unwrap } from "idb";
import { asStorageFault, StorageFault } from "./faults";
import { type WallUse, wallsUse } from "./spaceUse";

export interface Backup {
  format: "peerwall-backup";
  version: 1;
  handle: string;
  exportedAt: number;
  identity: IdentityRecord | null;
  friends: FriendRecord[];
  events: StoredEvent[];
  outbox: OutboxRecord[];
  meta: MetaRecord[];
  /** Photos, their bytes in base64url; where each came from (``wall``) and whose budget (``by``). */
  blobs?: { hash: string; mime: string; mine: boolean; wall?: string; by?: string; data: string }[];
}

export interface StorageUse {
  /** My own photos, and photos on my wall by no one else. */
  mine: number;
  /** Friends' photos kept only to show them (freeable). */
  cached: number;
  /** Photos friends posted on my wall, by friend (canonical handle): their budgets, freeable. */
  byFriend: Record<string, number>;
  count: number;
}

const STRICT = { durability: "strict" } as const;
/**
 * Events one task puts at most. A catch-up writes thousands in one transaction, and each put
 * clones its event on the page's main thread (about 60 µs each, bench/README.md): the next few
 * hundred go in the callback of the last, so no task holds the page long.
 */
export const PUTS_PER_TASK = 250;

/** Puts every value in ``store``, PUTS_PER_TASK a task; resolves once all are asked for. */
function putInSteps(store: IDBObjectStore, values: readonly unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    const step = () => {
      try {
        let last: IDBRequest | undefined;
        for (const end = Math.min(values.length, next + PUTS_PER_TASK); next < end; next++) last = store.put(values[next]);
        if (next >= values.length || !last) return resolve();
        // The transaction is active again in a request's callback: the rest goes on from there.
        last.onsuccess = step;
        last.onerror = () => reject(last.error);
      } catch (error) {
        reject(error);
      }
    };
    step();
  });
}
/** Freeing less than this does not count as making room (a thumbnail would not fit a photo). */
const ROOM_BYTES = 1024 * 1024;

/** A change to the store that lands whole or not at all (``Repository.write``). */
export interface StoreChange {
  events?: StoredEvent[];
  outboxAdd?: OutboxRecord[];
  outboxRemove?: string[];
  eventsRemove?: string[];
  /** Blobs the events name (my photos with my post): never one without the other. */
  blobs?: BlobRecord[];
}

type FaultListener = (fault: StorageFault) => void;
type RoomListener = () => void;

export class Repository {
  private readonly faultListeners = new Set<FaultListener>();
  private readonly roomListeners = new Set<RoomListener>();

  constructor(private readonly db: Database) {}

  /** Told of every storage fault a write meets (a full disk, a closed connection). */
  onFault(listener: FaultListener): () => void {
    this.faultListeners.add(listener);
    return () => this.faultListeners.delete(listener);
  }

  /** Told when room was made or proven: a megabyte or more freed, or a write that landed. */
  onRoom(listener: RoomListener): () => void {
    this.roomListeners.add(listener);
    return () => this.roomListeners.delete(listener);
  }

  private roomMade(): void {
    for (const listener of this.roomListeners) listener();
  }

  /**
   * Makes a write transaction's requests and waits for them and its commit. A failure comes out as a
   * StorageFault where the cause is known (the transaction's error, not the AbortError its
   * requests report), and the listeners hear of it.
   */
  private async commit(
    tx: { done: Promise<void>; error: DOMException | null; abort(): void },
    work: (ops: Promise<unknown>[]) => void,
  ): Promise<void> {
    const ops: Promise<unknown>[] = [];
    try {
      // Requests are made in here: one that throws at once must abort those made before it.
      work(ops);
      await Promise.all([...ops, tx.done]);
    } catch (error) {
      // The others fail too once the transaction aborts; that is this same failure.
      for (const op of ops) op.catch(() => undefined);
      // A request that threw (a value that cannot be stored) leaves the transaction running:
      // abort it, so that nothing of this change lands. Its error is set once it has aborted.
      try {
        tx.abort();
      } catch {
        // Already aborted or finished.
      }
      await tx.done.catch(() => undefined);
      const fault = asStorageFault(error, tx.error);
      if (fault instanceof StorageFault) for (const listener of this.faultListeners) listener(fault);
      throw fault;
    }
  }

  close(): void {
    this.db.close();
  }

  async identity(): Promise<IdentityRecord | undefined> {
    return this.db.get("identity", "me");
  }

  async saveIdentity(record: IdentityRecord): Promise<void> {
    const tx = this.db.transaction("identity", "readwrite", STRICT);
    await this.commit(tx, (ops) => ops.push(tx.store.put(record)));
  }

  async friends(): Promise<FriendRecord[]> {
    return this.db.getAll("friends");
  }

  async saveFriend(record: FriendRecord): Promise<void> {
    const tx = this.db.transaction("friends", "readwrite", STRICT);
    await this.commit(tx, (ops) => ops.push(tx.store.put(record)));
  }

  async deleteFriend(handle: string): Promise<void> {
    const tx = this.db.transaction("friends", "readwrite", STRICT);
    await this.commit(tx, (ops) => ops.push(tx.store.delete(handle)));
  }

  async events(): Promise<StoredEvent[]> {
    return this.db.getAll("events");
  }

  async outbox(): Promise<OutboxRecord[]> {
    return this.db.getAll("outbox");
  }

  /** Stores events, outbox changes and photos in one transaction: all of it is on disk, or none. */
  async write(change: StoreChange): Promise<void> {
    // Blob stores only when there are blobs: a transaction's scope is what it locks.
    const scope = change.blobs?.length ? (["events", "outbox", "blobs", "blobInfo"] as const) : (["events", "outbox"] as const);
    const tx = this.db.transaction(scope, "readwrite", STRICT);
    const events = tx.objectStore("events");
    const outbox = tx.objectStore("outbox");
    await this.commit(tx, (ops) => {
      for (const b of change.blobs ?? []) ops.push(this.putBlob(tx.objectStore("blobs"), tx.objectStore("blobInfo"), b));
      if (change.events?.length) ops.push(putInSteps(unwrap(events), change.events));
      for (const o of change.outboxAdd ?? []) ops.push(outbox.put(o));
      for (const id of change.outboxRemove ?? []) ops.push(outbox.delete(id));
      for (const id of change.eventsRemove ?? []) ops.push(events.delete(id));
    });
    // Whatever landed proves there was room for it.
    this.roomMade();
  }

  async meta<T>(key: string): Promise<T | undefined> {
    return (await this.db.get("meta", key))?.value as T | undefined;
  }

  async saveMeta(key: string, value: unknown): Promise<void> {
    const tx = this.db.transaction("meta", "readwrite", STRICT);
    await this.commit(tx, (ops) => ops.push(tx.store.put({ key, value })));
  }

  async blob(hash: string): Promise<BlobRecord | undefined> {
    return this.db.get("blobs", hash);
  }

  /** What is known of a stored blob, without reading its bytes. */
  async blobInfo(hash: string): Promise<BlobInfo | undefined> {
    return this.db.get("blobInfo", hash);
  }

  async allBlobInfo(): Promise<BlobInfo[]> {
    return this.db.getAll("blobInfo");
  }

  async hasBlob(hash: string): Promise<boolean> {
    return (await this.db.getKey("blobInfo", hash)) !== undefined;
  }

  /** Stores a blob; the caller has verified that ``bytes`` hash to ``hash``. */
  async saveBlob(record: BlobRecord): Promise<void> {
    const tx = this.db.transaction(["blobs", "blobInfo"], "readwrite", STRICT);
    await this.commit(tx, (ops) => ops.push(this.putBlob(tx.objectStore("blobs"), tx.objectStore("blobInfo"), record)));
  }

  private async putBlob(
    blobs: { put(value: BlobRecord): Promise<unknown> },
    infos: { get(key: string): Promise<BlobInfo | undefined>; put(value: BlobInfo): Promise<unknown> },
    record: BlobRecord,
  ): Promise<void> {
    const existing = await infos.get(record.hash);
    // Mine stays mine: a friend's copy of my photo arriving later must not make it freeable,
    // nor move it onto their budget.
    const mine = record.mine || (existing?.mine ?? false);
    const stored: BlobRecord = existing?.mine && !existing.by ? { ...record, mine, wall: undefined, by: undefined } : { ...record, mine };
    const { bytes: _bytes, ...info } = stored;
    await Promise.all([blobs.put(stored), infos.put(info)]);
  }

  /** Marks a stored blob as one never to free on its own (a photo on my own wall). */
  async keepBlob(hash: string, by?: string, wall?: string): Promise<void> {
    const tx = this.db.transaction(["blobs", "blobInfo"], "readwrite", STRICT);
    const work = async () => {
      const info = await tx.objectStore("blobInfo").get(hash);
      // Only a photo fetched for this wall becomes this wall's: a post that merely names the hash
      // of a photo I hold from another wall neither pins it nor charges it to its author.
      const sameWall = !wall || !info?.wall || info.wall.toLowerCase() === wall.toLowerCase();
      if (info && !info.mine && sameWall) {
        const record = await tx.objectStore("blobs").get(hash);
        if (record) await tx.objectStore("blobs").put({ ...record, mine: true, by });
        await tx.objectStore("blobInfo").put({ ...info, mine: true, by });
      }
    };
    await this.commit(tx, (ops) => ops.push(work()));
  }

  /** Notes that a photo was shown now: what is seen least recently is evicted first. */
  async sawBlob(hash: string, now: number): Promise<void> {
    const tx = this.db.transaction("blobInfo", "readwrite");
    const work = async () => {
      const info = await tx.store.get(hash);
      if (info) await tx.store.put({ ...info, seenAt: now });
    };
    await this.commit(tx, (ops) => ops.push(work()));
  }

  /**
   * Deletes these blobs (bytes and what is known of them); returns the bytes freed. With
   * ``freeableOnly``, one that became mine since it was chosen (pinned by a post on my wall) stays.
   */
  async deleteBlobs(hashes: Iterable<string>, freeableOnly = false): Promise<number> {
    const tx = this.db.transaction(["blobs", "blobInfo"], "readwrite", STRICT);
    let freed = 0;
    const work = async () => {
      for (const hash of hashes) {
        const info = await tx.objectStore("blobInfo").get(hash);
        if (!info || (freeableOnly && info.mine)) continue;
        freed += info.size;
        await tx.objectStore("blobs").delete(hash);
        await tx.objectStore("blobInfo").delete(hash);
      }
    };
    await this.commit(tx, (ops) => ops.push(work()));
    if (freed >= ROOM_BYTES) this.roomMade();
    return freed;
  }

  async storageUse(): Promise<StorageUse> {
    const use: StorageUse = { mine: 0, cached: 0, byFriend: {}, count: 0 };
    for (const info of await this.allBlobInfo()) {
      use.count++;
      if (info.by) use.byFriend[info.by] = (use.byFriend[info.by] ?? 0) + info.size;
      else if (info.mine) use.mine += info.size;
      else use.cached += info.size;
    }
    return use;
  }

  /** Each wall's share of the space (its events and photos), mine first. */
  async wallsUse(me: string): Promise<WallUse[]> {
    const [events, infos] = await Promise.all([this.events(), this.allBlobInfo()]);
    return wallsUse(me, events, infos);
  }

  /** Deletes friends' photos: cached ones, and those friends posted on my wall; returns the bytes freed. */
  async freeCachedBlobs(): Promise<number> {
    const tx = this.db.transaction(["blobs", "blobInfo"], "readwrite", STRICT);
    let freed = 0;
    const work = async () => {
      let cursor = await tx.objectStore("blobInfo").openCursor();
      while (cursor) {
        if (!cursor.value.mine || cursor.value.by) {
          freed += cursor.value.size;
          await tx.objectStore("blobs").delete(cursor.value.hash);
          await cursor.delete();
        }
        cursor = await cursor.continue();
      }
    };
    await this.commit(tx, (ops) => ops.push(work()));
    if (freed >= ROOM_BYTES) this.roomMade();
    return freed;
  }

  async exportAll(handle: string, now: number = Date.now()): Promise<Backup> {
    const tx = this.db.transaction(["identity", "friends", "events", "outbox", "meta", "blobs"], "readonly");
    const [identity, friends, events, outbox, meta, blobs] = await Promise.all([
      tx.objectStore("identity").get("me"),
      tx.objectStore("friends").getAll(),
      tx.objectStore("events").getAll(),
      tx.objectStore("outbox").getAll(),
      tx.objectStore("meta").getAll(),
      tx.objectStore("blobs").getAll(),
    ]);
    return {
      format: "peerwall-backup",
      version: 1,
      handle,
      exportedAt: now,
      identity: identity ?? null,
      friends,
      events,
      outbox,
      meta,
      blobs: blobs.map((b) => ({ hash: b.hash, mime: b.mime, mine: b.mine, wall: b.wall, by: b.by, data: toBase64Url(b.bytes) })),
    };
  }

  /** The blobs of a backup, decoded; the caller verifies each against its hash. */
  static backupBlobs(backup: Backup): { hash: string; mime: string; mine: boolean; wall?: string; by?: string; bytes: ArrayBuffer }[] {
    return (backup.blobs ?? []).map((b) => ({
      hash: b.hash,
      mime: b.mime,
      mine: b.mine,
      wall: typeof b.wall === "string" ? b.wall : undefined,
      by: typeof b.by === "string" ? b.by : undefined,
      bytes: fromBase64Url(b.data).buffer,
    }));
  }

  /**
   * Merges a backup into this store: records are keyed by id, so importing twice changes
   * nothing. What is already here wins where both have a record, except that an event gains
   * a seq it lacked.
   */
  async importAll(backup: Backup): Promise<{ events: number; friends: number }> {
    const tx = this.db.transaction(["identity", "friends", "events", "outbox", "meta"], "readwrite", STRICT);
    let addedEvents = 0;
    let addedFriends = 0;
    const work = async () => {
      const identity = tx.objectStore("identity");
      const friends = tx.objectStore("friends");
      const events = tx.objectStore("events");
      // A browser that has nothing yet takes the backup's key too: friends pinned that one.
      const fresh = (await friends.count()) === 0 && (await events.count()) === 0;
      if (backup.identity && (fresh || !(await identity.get("me")))) await identity.put(backup.identity);
      for (const f of backup.friends) {
        // Backups made before people were keyed by canonical handle spell them as they were.
        const key = f.handle.toLowerCase();
        if (!(await friends.get(key))) {
          await friends.put({ ...f, handle: key, name: f.name ?? f.handle });
          addedFriends++;
        }
      }
      for (const e of backup.events) {
        const existing = await events.get(e.id);
        if (!existing) {
          await events.put(e);
          addedEvents++;
        } else if (existing.seq === undefined && e.seq !== undefined) {
          await events.put({ ...existing, seq: e.seq, ...(e.osig ? { osig: e.osig } : {}), ...(e.dev ? { dev: e.dev } : {}) });
        }
      }
      const outbox = tx.objectStore("outbox");
      for (const o of backup.outbox) if (!(await outbox.get(o.id))) await outbox.put(o);
      const meta = tx.objectStore("meta");
      for (const m of backup.meta) if (!(await meta.get(m.key))) await meta.put(m);
    };
    await this.commit(tx, (ops) => ops.push(work()));
    return { events: addedEvents, friends: addedFriends };
  }
}
