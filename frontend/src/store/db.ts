// IndexedDB, one database per handle so two accounts in one browser never mix.
// Writes use durability "strict": when a write resolves it is on disk, and only then does the
// UI say it is done.
import { type DBSchema, type IDBPDatabase, openDB } from "idb";

export type FriendState = "requested-out" | "requested-in" | "accepted" | "declined" | "blocked";

export interface FriendRecord {
  handle: string;
  state: FriendState;
  /** The key pinned at acceptance (trust on first use). */
  key?: string;
  /** A different key the friend presented later; nothing syncs until I confirm it. */
  changedKey?: string;
  since: number;
  lastSeen?: number;
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
  /** My own photos are never freed to make room; friends' cached ones may be. */
  mine: boolean;
  storedAt: number;
}

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
}

export type Database = IDBPDatabase<PeerwallDB>;
export const STORES = ["identity", "friends", "events", "outbox", "meta", "blobs"] as const;

export function databaseName(handle: string): string {
  return `peerwall-${handle.toLowerCase()}`;
}

export function openDatabase(handle: string, factory?: IDBFactory): Promise<Database> {
  const open = () =>
    openDB<PeerwallDB>(databaseName(handle), 2, {
      upgrade(db, oldVersion) {
        if (oldVersion < 1) {
          db.createObjectStore("identity", { keyPath: "id" });
          db.createObjectStore("friends", { keyPath: "handle" });
          db.createObjectStore("events", { keyPath: "id" }).createIndex("wall", "wall");
          db.createObjectStore("outbox", { keyPath: "id" });
          db.createObjectStore("meta", { keyPath: "key" });
        }
        if (oldVersion < 2) db.createObjectStore("blobs", { keyPath: "hash" });
      },
    });
  if (!factory) return open();
  // Tests hand in an IndexedDB implementation of their own.
  const previous = globalThis.indexedDB;
  globalThis.indexedDB = factory;
  try {
    return open();
  } finally {
    globalThis.indexedDB = previous;
  }
}
