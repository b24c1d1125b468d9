// Between my own devices: they share my key, and keep each other's whole store. On every link,
// each tells the other its friends and its devices and asks for every wall it knows, mine
// included; from then on a change of friends goes over at once, as new events do (wallSync).
import type { FriendRecord } from "../../store/db";
import { BOOK_BATCH } from "../frames";
import { sameHandle } from "../handles";
import type { Connections } from "../peers/connections";
import type { Session } from "../peers/session";
import type { Devices } from "../state/devices";
import type { EventLog } from "../state/eventLog";
import type { FriendBook } from "../state/friendBook";

export interface SelfSyncOptions {
  me: string;
  log: EventLog;
  book: FriendBook;
  devices: Devices;
  connections: Connections;
  /** Friends changed by another device's word (watch them, dial them, show them). */
  friendsMerged(handles: string[]): void;
  devicesChanged(): void;
}

export class SelfSync {
  constructor(private readonly options: SelfSyncOptions) {}

  /** Another device of mine proved my key: we tell each other everything. */
  async start(session: Session): Promise<void> {
    const { log, book, devices } = this.options;
    await devices.seen(session.device);
    this.options.devicesChanged();
    session.send({ t: "devices", devices: devices.all() });
    session.send({ t: "book", friends: [], forgotten: book.forgottenAll() });
    this.sendBook(session, book.all());
    for (const wall of this.wallsKnown()) session.send({ t: "sync", wall, since: log.cursorOf(wall) });
  }

  /** Someone was forgotten here (unfriended, unblocked): my other devices forget them too. */
  friendsForgotten(forgotten: Record<string, number>): void {
    for (const session of this.options.connections.ownSessions()) session.send({ t: "book", friends: [], forgotten });
  }

  /** A friend record changed here: my other devices hear of it now. */
  friendSaved(record: FriendRecord): void {
    for (const session of this.options.connections.ownSessions()) this.sendBook(session, [record]);
  }

  /** My device list changed here (a name, a removal). */
  devicesSaved(): void {
    for (const session of this.options.connections.ownSessions()) session.send({ t: "devices", devices: this.options.devices.all() });
  }

  async onBook(session: Session, friends: unknown[], forgotten?: Record<string, number>): Promise<void> {
    const { book, log } = this.options;
    const changed = await book.merge(friends, forgotten);
    if (!changed.length) return;
    this.options.friendsMerged(changed);
    // A friend I did not know of: my other device holds their wall.
    for (const handle of changed) if (book.isFriend(handle)) session.send({ t: "sync", wall: book.name(handle), since: log.cursorOf(handle) });
  }

  async onDevices(devices: unknown[]): Promise<void> {
    if (await this.options.devices.merge(devices)) this.options.devicesChanged();
  }

  /** My wall, every wall I hold, and every friend's. */
  private wallsKnown(): string[] {
    const { me, log, book } = this.options;
    const walls = new Map<string, string>([[me.toLowerCase(), me]]);
    for (const wall of log.walls().keys()) if (!walls.has(wall)) walls.set(wall, book.name(wall));
    for (const f of book.accepted()) if (!walls.has(f.handle)) walls.set(f.handle, f.name ?? f.handle);
    return [...walls.values()].filter((w) => sameHandle(w, me) || book.isFriend(w));
  }

  private sendBook(session: Session, records: FriendRecord[]): void {
    for (let i = 0; i < records.length; i += BOOK_BATCH) session.send({ t: "book", friends: records.slice(i, i + BOOK_BATCH) });
  }
}
