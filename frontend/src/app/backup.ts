// Export and import of the whole local store as one JSON file: the backup, and the way to
// move to a new browser without losing walls, friends or keys.
import { sha256Hex } from "../media/hash";
import { type Backup, Repository } from "../store/repository";
import { checkShape } from "../sync/events";

const FRIEND_STATES = new Set(["requested-out", "requested-in", "accepted", "declined", "blocked"]);

/** Reads a backup file the person chose; throws a sentence they can act on. */
export function parseBackup(text: string, handle: string): Backup {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("This file is not a Peerwall backup (it is not JSON).");
  }
  const b = data as Partial<Backup>;
  if (b?.format !== "peerwall-backup" || b.version !== 1) throw new Error("This file is not a Peerwall backup.");
  if (typeof b.handle !== "string" || b.handle.toLowerCase() !== handle.toLowerCase())
    throw new Error(`This backup belongs to @${String(b.handle)}, not to @${handle}.`);
  if (!Array.isArray(b.events) || !Array.isArray(b.friends) || !Array.isArray(b.outbox) || !Array.isArray(b.meta))
    throw new Error("This backup is incomplete.");
  const farFuture = Date.now() + 365 * 24 * 3600_000;
  const events = b.events.filter((e) => checkShape(e, farFuture) === null);
  const friends = b.friends.filter(
    (f) => typeof f?.handle === "string" && FRIEND_STATES.has(f.state) && typeof f.since === "number",
  );
  const identity =
    b.identity && typeof b.identity.publicKey === "string" && typeof b.identity.privateJwk === "object"
      ? { id: "me" as const, publicKey: b.identity.publicKey, privateJwk: b.identity.privateJwk }
      : null;
  const outbox = b.outbox.filter((o) => typeof o?.id === "string" && typeof o.to === "string");
  const meta = b.meta.filter((m) => typeof m?.key === "string");
  const blobs = (Array.isArray(b.blobs) ? b.blobs : []).filter(
    (x) => /^[0-9a-f]{64}$/.test(x?.hash) && typeof x.mime === "string" && typeof x.data === "string",
  );
  return { ...(b as Backup), identity, events, friends, outbox, meta, blobs };
}

export function backupFileName(handle: string, now = new Date()): string {
  return `peerwall-${handle}-${now.toISOString().slice(0, 10)}.json`;
}

/** Imports a backup file into the store; resolves to a sentence saying what came back. */
export async function importBackup(repo: Repository, handle: string, file: File): Promise<string> {
  const parsed = parseBackup(await file.text(), handle);
  const added = await repo.importAll(parsed);
  // Photos come back only if their bytes still match their names.
  for (const blob of Repository.backupBlobs(parsed)) {
    if ((await sha256Hex(blob.bytes)) !== blob.hash || (await repo.hasBlob(blob.hash))) continue;
    await repo.saveBlob({ ...blob, size: blob.bytes.byteLength, storedAt: Date.now() });
  }
  return `Imported ${added.events} events and ${added.friends} friends.`;
}
