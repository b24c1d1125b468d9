// IndexedDB, one database per handle so two accounts in one browser never mix.
// Writes use durability "strict": when a write resolves it is on disk, and only then does the
// UI say it is done.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import { asStorageFault, StorageFault } from "./faults";

export type FriendState = "requested-out" | "requested-in" | "accepted" | "declined" | "blocked";

export interface FriendRecord {
  /** The canonical handle (lower-case): one person, whatever the letter case. */
  handle: string;
  /** The handle as its owner spells it, for showing. */
  name?: string;
  state: FriendState;
  /** The key pinned at acceptance (trust on first use). */
  key?: string;
  /** A different key the friend presented later; nothing syncs until I confirm it. */
  changedKey?: string;
  since: number;
  lastSeen?: number;
  /** When this record last changed here: my devices merge their books by it, the later wins. */
  updatedAt?: number;
}

export interface StoredEvent {
  id: string;
  wall: string;
  author: string;
  kind: string;
  ts: number;
  body: unknown;
  sig: string;
  seq?: number;
  /** The owner's signature on the place, and the owner's device stream it is in. */
  osig?: string;
  dev?: string;
}

export interface OutboxRecord {
  id: string;
  /** The wall's owner, who must acknowledge it. */
  to: string;
  createdAt: number;
}

export interface IdentityRecord {
  id: "me";
  publicKey: string;
  privateJwk: JsonWebKey;
}

export interface BlobRecord {
  /** SHA-256 of ``bytes``, lowercase hex: verified before the record is written. */
  hash: string;
  bytes: ArrayBuffer;
  mime: string;
  size: number;
  /** Kept to serve it: my own photos, and photos on my wall. Others' cached ones may be freed. */
  mine: boolean;
  storedAt: number;
  /** The wall of the post it was fetched for (its origin); absent for my own photos. */
  wall?: string;
  /** The friend whose post on my wall brought it: it counts against their budget, not mine. */
  by?: string;
  /** When it was last shown: others' full-size photos seen least recently are evicted first. */
  seenAt?: number;
  /** What a post named it as: a thumbnail is kept; a friend's full image may be let go. */
  kind?: "full" | "thumb";
}

/** What the store knows of a blob without reading its bytes. */
export type BlobInfo = Omit<BlobRecord, "bytes">;

export interface MetaRecord {
  key: string;
  value: unknown;
}

interface PeerwallDB extends DBSchema {
  identity: { key: string; value: IdentityRecord };
  friends: { key: string; value: FriendRecord };
  events: { key: string; value: StoredEvent; indexes: { wall: string } };
  outbox: { key: string; value: OutboxRecord };
  meta: { key: string; value: MetaRecord };
  blobs: { key: string; value: BlobRecord };
  blobInfo: { key: string; value: BlobInfo };
}

export type Database = IDBPDatabase<PeerwallDB>;
export const STORES = ["identity", "friends", "events", "outbox", "meta", "blobs", "blobInfo"] as const;

/** Of two records of one person (before handles were keyed by case), the one that decides. */
const STATE_WEIGHT: Record<FriendState, number> = { blocked: 5, accepted: 4, "requested-out": 3, "requested-in": 2, declined: 1 };

export function databaseName(handle: string): string {
  return `peerwall-${handle.toLowerCase()}`;
}

/** What the page hears of its connection while it runs. */
export interface OpenEvents {
  /**
   * The upgrade waits for another tab that holds an older version open (an old build of the app
   * left open across a deploy). The open goes on by itself once that tab lets go.
   */
  blocked?: () => void;
  /**
   * The connection is gone: closed at once for a newer version opening elsewhere (so that one is
   * not kept waiting), or closed by the browser. Nothing more can be read or written through it.
   */
  closed?: (fault: StorageFault) => void;
}

/**
 * Opens (creating or upgrading) the handle's database. Fails with a StorageFault where the cause
 * is known: no IndexedDB at all, or one the browser refuses for the site, count as "unavailable".
 */
export async function openDatabase(handle: string, factory?: IDBFactory, events: OpenEvents = {}): Promise<Database> {
  let available: IDBFactory | null | undefined;
  try {
    available = factory ?? globalThis.indexedDB;
  } catch (error) {
    // Old Firefox with cookies off throws a SecurityError on merely reading window.indexedDB.
    throw new StorageFault("unavailable", error);
  }
  // Turned off (Firefox's dom.indexedDB.enabled), or a browser without it.
  if (!available) throw new StorageFault("unavailable", new Error("this browser has no IndexedDB"));
  // An upgrade that fails only says AbortError; its transaction holds the reason (a full disk).
  let upgrading: { error: DOMException | null } | undefined;
  const open = () =>
    openDB<PeerwallDB>(databaseName(handle), 3, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        upgrading = tx;
        if (oldVersion < 1) {
          db.createObjectStore("identity", { keyPath: "id" });
          db.createObjectStore("friends", { keyPath: "handle" });
          db.createObjectStore("events", { keyPath: "id" }).createIndex("wall", "wall");
          db.createObjectStore("outbox", { keyPath: "id" });
          db.createObjectStore("meta", { keyPath: "key" });
        }
        if (oldVersion < 2) db.createObjectStore("blobs", { keyPath: "hash" });
        if (oldVersion < 3) {
          // What a blob is, without its bytes: for budgets and serving rules.
          const info = db.createObjectStore("blobInfo", { keyPath: "hash" });
          // People are keyed by their canonical handle: @Bob and @bob were two records before.
          const friends = tx.objectStore("friends");
          const merged = new Map<string, FriendRecord>();
          for (const record of await friends.getAll()) {
            const key = record.handle.toLowerCase();
            const named = { ...record, handle: key, name: record.name ?? record.handle };
            const other = merged.get(key);
            if (!other || STATE_WEIGHT[named.state] > STATE_WEIGHT[other.state]) merged.set(key, named);
          }
          await friends.clear();
          for (const record of merged.values()) await friends.put(record);
          let cursor = await tx.objectStore("blobs").openCursor();
          while (cursor) {
            const { bytes: _bytes, ...rest } = cursor.value;
            await info.put(rest);
            cursor = await cursor.continue();
          }
        }
      },
      blocked: () => events.blocked?.(),
      blocking: (_current, _wanted, event) => {
        // A newer version (or a deletion) waits for this connection: let go of it at once.
        (event.target as IDBDatabase).close();
        events.closed?.(new StorageFault("closed", new Error("another tab is upgrading or deleting the database")));
      },
      terminated: () => events.closed?.(new StorageFault("closed", new Error("the browser closed the database"))),
    });
  let opening: Promise<Database>;
  try {
    if (!factory) {
      opening = open();
    } else {
      // Tests hand in an IndexedDB implementation of their own; idb reads the global, at once.
      const previous = globalThis.indexedDB;
      globalThis.indexedDB = factory;
      try {
        opening = open();
      } finally {
        globalThis.indexedDB = previous;
      }
    }
    return await opening;
  } catch (error) {
    throw asStorageFault(error, upgrading?.error ?? undefined);
  }
}
