// The photos this browser holds, as the exchange and the views see them: which are stored, the
// object URLs they are shown through, when each was last seen, and the cap on friends' full-size
// photos, which lets those seen least recently go (media/eviction.ts).
import type { Repository } from "../store/repository";
import { Serial } from "../sync/serial";
import { DEFAULT_PHOTO_CAP, toEvict } from "./eviction";

/** A photo's "seen" time is written at most this often (eviction goes least-recently-seen first). */
const SEEN_EVERY_MS = 60_000;
const PHOTO_CAP_KEY = "photoCap";

export class PhotoCache {
  private readonly stored = new Set<string>();
  private readonly urls = new Map<string, string>();
  /** When each photo was last noted as seen (this session). */
  private readonly seen = new Map<string, number>();
  /** One eviction at a time. */
  private readonly trimming = new Serial();
  /** The cap on friends' full-size photos, once read. */
  private cap?: number;

  constructor(
    private readonly repo: Repository,
    /** Is this photo one a standing post keeps (mine, or on my wall)? Those are never evicted. */
    private readonly kept: (hash: string) => boolean,
    /** Something the views show of photos changed. */
    private readonly changed: () => void,
  ) {}

  /** Known to be stored (without asking the store). */
  has(hash: string): boolean {
    return this.stored.has(hash);
  }

  /** These photos were stored: they are served and shown from now on. */
  add(hashes: string[]): void {
    for (const hash of hashes) this.stored.add(hash);
    this.changed();
  }

  /** Stored here, asking the store if need be. */
  async isStored(hash: string): Promise<boolean> {
    if (this.stored.has(hash)) return true;
    if (!(await this.repo.hasBlob(hash))) return false;
    this.stored.add(hash);
    return true;
  }

  /** An object URL for a stored photo, made once; null while it is not here. */
  async url(hash: string): Promise<string | null> {
    this.noteSeen(hash);
    const known = this.urls.get(hash);
    if (known) return known;
    const record = await this.repo.blob(hash);
    if (!record) return null;
    const url = URL.createObjectURL(new Blob([record.bytes], { type: record.mime }));
    this.urls.set(hash, url);
    return url;
  }

  /** Remembers (at most once a minute a photo) that it was shown. */
  private noteSeen(hash: string): void {
    const now = Date.now();
    if (now - (this.seen.get(hash) ?? 0) < SEEN_EVERY_MS) return;
    this.seen.set(hash, now);
    // Best effort: a full disk must not stop a photo from showing.
    this.repo.sawBlob(hash, now).catch(() => undefined);
  }

  /** Forgets every stored photo (after space was freed): they are fetched again when wanted. */
  forgetAll(): void {
    this.stored.clear();
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
    this.changed();
  }

  /** Forgets these photos (evicted or deleted): fetched again when someone wants to see them. */
  forget(hashes: string[]): void {
    for (const hash of hashes) {
      this.stored.delete(hash);
      const url = this.urls.get(hash);
      if (url) URL.revokeObjectURL(url);
      this.urls.delete(hash);
    }
    this.changed();
  }

  /** The most friends' full-size photos may take here (bytes; Infinity: no cap). */
  async photoCap(): Promise<number> {
    this.cap ??= (await this.repo.meta<number>(PHOTO_CAP_KEY)) ?? DEFAULT_PHOTO_CAP;
    return this.cap;
  }

  /** Sets the cap and trims to it; the bytes freed. */
  async setPhotoCap(bytes: number): Promise<number> {
    if (!(bytes >= 0)) throw new Error("The space for friends' photos must be a size, or no limit.");
    await this.repo.saveMeta(PHOTO_CAP_KEY, bytes);
    this.cap = bytes;
    return this.trim();
  }

  /** Lets friends' full-size photos seen least recently go until they fit the cap; the bytes freed. */
  trim(): Promise<number> {
    return this.trimming.run(async () => {
      const victims = toEvict(await this.repo.allBlobInfo(), await this.photoCap(), this.kept);
      if (!victims.length) return 0;
      const freed = await this.repo.deleteBlobs(victims, true);
      this.forget(victims);
      return freed;
    });
  }
}
