// The store, in memory, for the reach simulation: the Repository's interface over Maps. A
// thousand people's IndexedDB in one process would measure fake-indexeddb, not the protocol.
import type { BlobInfo, BlobRecord, FriendRecord, IdentityRecord, OutboxRecord, StoredEvent } from "../../frontend/src/store/db";
import type { Repository, StorageUse } from "../../frontend/src/store/repository";

export class MemoryRepository {
  private me?: IdentityRecord;
  readonly friendsById = new Map<string, FriendRecord>();
  readonly eventsById = new Map<string, StoredEvent>();
  private readonly outboxById = new Map<string, OutboxRecord>();
  private readonly metaByKey = new Map<string, unknown>();
  private readonly blobs = new Map<string, BlobRecord>();
  /** Called with each event the first time this store holds it. */
  onNewEvent?: (event: StoredEvent) => void;

  asRepository(): Repository {
    return this as unknown as Repository;
  }

  close(): void {}
  // Nothing here fills up or faults: listeners are kept nowhere.
  onFault(): () => void {
    return () => undefined;
  }
  onRoom(): () => void {
    return () => undefined;
  }
  async identity() {
    return this.me;
  }
  async saveIdentity(record: IdentityRecord) {
    this.me = record;
  }
  async friends() {
    return [...this.friendsById.values()];
  }
  async saveFriend(record: FriendRecord) {
    this.friendsById.set(record.handle, record);
  }
  async deleteFriend(handle: string) {
    this.friendsById.delete(handle);
  }
  async events() {
    return [...this.eventsById.values()];
  }
  async outbox() {
    return [...this.outboxById.values()];
  }
  async write(change: { events?: StoredEvent[]; outboxAdd?: OutboxRecord[]; outboxRemove?: string[]; eventsRemove?: string[] }) {
    for (const e of change.events ?? []) {
      if (!this.eventsById.has(e.id)) this.onNewEvent?.(e);
      this.eventsById.set(e.id, e);
    }
    for (const o of change.outboxAdd ?? []) this.outboxById.set(o.id, o);
    for (const id of change.outboxRemove ?? []) this.outboxById.delete(id);
    for (const id of change.eventsRemove ?? []) this.eventsById.delete(id);
  }
  async meta<T>(key: string): Promise<T | undefined> {
    return this.metaByKey.get(key) as T | undefined;
  }
  async saveMeta(key: string, value: unknown) {
    this.metaByKey.set(key, value);
  }
  async blob(hash: string) {
    return this.blobs.get(hash);
  }
  async blobInfo(hash: string): Promise<BlobInfo | undefined> {
    const b = this.blobs.get(hash);
    if (!b) return undefined;
    const { bytes: _bytes, ...info } = b;
    return info;
  }
  async allBlobInfo(): Promise<BlobInfo[]> {
    return [...this.blobs.values()].map(({ bytes: _bytes, ...info }) => info);
  }
  async hasBlob(hash: string) {
    return this.blobs.has(hash);
  }
  async saveBlob(record: BlobRecord) {
    this.blobs.set(record.hash, record);
  }
  async keepBlob() {}
  async sawBlob() {}
  async deleteBlobs(hashes: Iterable<string>) {
    let n = 0;
    for (const hash of hashes) if (this.blobs.delete(hash)) n++;
    return n;
  }
  async storageUse(): Promise<StorageUse> {
    return { mine: 0, cached: 0, byFriend: {}, count: this.blobs.size };
  }
  async freeCachedBlobs() {
    return 0;
  }
}
