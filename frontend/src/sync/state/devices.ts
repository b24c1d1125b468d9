// My devices: this browser's id, the others I linked or met, their names and when I last heard
// from them, and the ones I removed. Every device keeps the list, and they merge theirs.
import type { Repository } from "../../store/repository";
import { isDevice } from "../events";
import type { DeviceView } from "../devices/types";

export interface DeviceRecord {
  id: string;
  name: string;
  addedAt: number;
  lastSeen?: number;
  /** Removed: my devices no longer link to it (it still knows my key; see the words in Settings). */
  removed?: boolean;
  /** When the name or the removal last changed: the later change wins when devices merge. */
  updatedAt: number;
}

const MAX_DEVICES = 32;
const MAX_NAME = 40;

export class Devices {
  private readonly records = new Map<string, DeviceRecord>();

  private constructor(
    private readonly repo: Repository,
    readonly current: string,
    private readonly now: () => number,
  ) {}

  static async open(repo: Repository, current: string, now: () => number, name = "This browser"): Promise<Devices> {
    const devices = new Devices(repo, current, now);
    for (const r of (await repo.meta<DeviceRecord[]>("devices")) ?? []) devices.records.set(r.id, r);
    if (current && !devices.records.has(current)) {
      devices.records.set(current, { id: current, name, addedAt: now(), updatedAt: now() });
      await devices.save();
    }
    return devices;
  }

  /** May this device of mine link to me? Any I have not removed (a new one is added when it proves my key). */
  allows(id: string): boolean {
    return !this.records.get(id)?.removed;
  }

  list(online: (id: string) => boolean): DeviceView[] {
    return [...this.records.values()]
      .filter((r) => !r.removed)
      .map((r) => ({ id: r.id, name: r.name, lastSeen: r.lastSeen, online: r.id === this.current || online(r.id), current: r.id === this.current }))
      .sort((a, b) => Number(b.current) - Number(a.current) || a.name.localeCompare(b.name));
  }

  all(): DeviceRecord[] {
    return [...this.records.values()];
  }

  /** A device of mine proved my key, or was named by one that did: known from now on. */
  async seen(id: string, name?: string): Promise<void> {
    if (!isDevice(id)) return;
    const known = this.records.get(id);
    const now = this.now();
    this.records.set(id, known ? { ...known, lastSeen: now } : { id, name: name ?? `Device ${id}`, addedAt: now, lastSeen: now, updatedAt: 0 });
    await this.save();
  }

  async rename(id: string, name: string): Promise<void> {
    const known = this.records.get(id);
    const clean = name.trim().slice(0, MAX_NAME);
    if (!known || !clean) return;
    this.records.set(id, { ...known, name: clean, updatedAt: this.now() });
    await this.save();
  }

  async remove(id: string): Promise<void> {
    const known = this.records.get(id);
    if (!known || id === this.current) return;
    this.records.set(id, { ...known, removed: true, updatedAt: this.now() });
    await this.save();
  }

  /** Another device's list: each record's later change wins; a removal is never undone. */
  async merge(theirs: unknown[]): Promise<boolean> {
    let changed = false;
    for (const raw of theirs.slice(0, MAX_DEVICES)) {
      const r = asRecord(raw);
      if (!r) continue;
      const mine = this.records.get(r.id);
      if (mine && !(r.updatedAt > mine.updatedAt) && !(r.removed && !mine.removed)) continue;
      // This device is not removed by another's word: it would lock itself out.
      const removed = r.id === this.current ? mine?.removed : (mine?.removed ?? false) || r.removed;
      this.records.set(r.id, { ...r, lastSeen: mine?.lastSeen ?? r.lastSeen, removed: removed || undefined });
      changed = true;
    }
    if (changed) await this.save();
    return changed;
  }

  private save(): Promise<void> {
    const kept = [...this.records.values()].slice(-MAX_DEVICES);
    return this.repo.saveMeta("devices", kept);
  }
}

function asRecord(raw: unknown): DeviceRecord | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const time = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (!isDevice(r.id) || typeof r.name !== "string" || !time(r.addedAt) || !time(r.updatedAt)) return null;
  if (r.lastSeen !== undefined && !time(r.lastSeen)) return null;
  return {
    id: r.id,
    name: r.name.slice(0, MAX_NAME),
    addedAt: r.addedAt as number,
    updatedAt: r.updatedAt as number,
    ...(r.lastSeen !== undefined ? { lastSeen: r.lastSeen as number } : {}),
    ...(r.removed === true ? { removed: true } : {}),
  };
}
