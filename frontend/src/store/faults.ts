// What went wrong with the browser's storage, as a code the views put into words
// (ui/words.ts storageFaultWords). Browsers report the same fault many ways: a full disk is a
// QuotaExceededError in Chromium and Safari (often with an empty message), NS_ERROR_DOM_QUOTA_REACHED
// or NS_ERROR_FILE_NO_DEVICE_SPACE in older Firefox, and an UnknownError naming the disk when
// LevelDB itself cannot write; a request inside a transaction that was aborted for lack of room
// only says AbortError, and the transaction holds the real reason.
// A store the browser will not give the site: Chromium says "UnknownError: Internal error opening
// backing store for indexedDB.open." when it cannot write the profile's IndexedDB files (seen
// here with that folder read-only, or a file in its place), "The user denied permission to access
// the database." when site data is blocked; Firefox a SecurityError with cookies off, and an
// InvalidStateError "...did not allow mutations" in its private windows before version 115.

/**
 * - ``full``: no room left (the disk, or the quota the browser gives this site).
 * - ``unavailable``: this browser does not let the site keep anything (IndexedDB missing, turned
 *   off, refused for the site, or its files unreadable).
 * - ``blocked``: an upgrade waits for another tab that holds an older version open.
 * - ``closed``: this tab's connection was closed (a newer version opened elsewhere, or the
 *   browser closed it), or the store is already of a newer version than this page can open
 *   (VersionError): either way, reloading brings the newer Peerwall.
 */
export type StorageFaultCode = "full" | "unavailable" | "blocked" | "closed";

export class StorageFault extends Error {
  constructor(
    readonly code: StorageFaultCode,
    override readonly cause?: unknown,
  ) {
    super(`storage ${code}${cause instanceof Error && cause.message ? `: ${cause.message}` : ""}`);
    this.name = "StorageFault";
  }
}

const FULL_NAMES = new Set(["QuotaExceededError", "NS_ERROR_DOM_QUOTA_REACHED", "NS_ERROR_FILE_NO_DEVICE_SPACE"]);
const FULL_WORDS = /quota|no space|not enough space|disk (is )?full|full disk|device space|out of space|ENOSPC/i;
const UNAVAILABLE_NAMES = new Set(["SecurityError", "NotAllowedError", "NS_ERROR_DOM_INDEXEDDB_NOT_ALLOWED_ERR"]);
const UNAVAILABLE_WORDS = /backing store|not allowed|denied|private|disabled|indexedDB is not/i;

function nameOf(error: unknown): string {
  if (error && typeof error === "object" && "name" in error && typeof error.name === "string") return error.name;
  return "";
}

function messageOf(error: unknown): string {
  if (error && typeof error === "object" && "message" in error && typeof error.message === "string") return error.message;
  return typeof error === "string" ? error : "";
}

/** The fault behind ``error``, or null when it is not a storage fault this module knows. */
export function storageFaultOf(error: unknown, transactionError?: unknown): StorageFaultCode | null {
  if (error instanceof StorageFault) return error.code;
  // The transaction's own error is the cause; the request only says it was aborted.
  if (transactionError && transactionError !== error) {
    const cause = storageFaultOf(transactionError);
    if (cause) return cause;
  }
  const name = nameOf(error);
  const message = messageOf(error);
  // Legacy DOMException code 22 is QUOTA_EXCEEDED_ERR.
  const legacyCode = error && typeof error === "object" && "code" in error ? (error as { code: unknown }).code : undefined;
  if (FULL_NAMES.has(name) || legacyCode === 22 || (name === "UnknownError" && FULL_WORDS.test(message))) return "full";
  if (UNAVAILABLE_NAMES.has(name)) return "unavailable";
  if (name === "UnknownError" && UNAVAILABLE_WORDS.test(message)) return "unavailable";
  if (name === "InvalidStateError" && /did not allow mutations/i.test(message)) return "unavailable";
  if (name === "InvalidStateError" && /clos/i.test(message)) return "closed";
  // Safari, when its IndexedDB process went away under the page.
  if (name === "UnknownError" && /connection to indexed database server lost/i.test(message)) return "closed";
  if (name === "VersionError") return "closed";
  return null;
}

/** ``error`` as a StorageFault when it is one (keeping the original as its cause), else as is. */
export function asStorageFault(error: unknown, transactionError?: unknown): unknown {
  if (error instanceof StorageFault) return error;
  const code = storageFaultOf(error, transactionError);
  return code ? new StorageFault(code, transactionError ?? error) : error;
}
