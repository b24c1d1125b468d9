// Storage faults: the ways browsers report a full disk, a refused store, a closed connection,
// each named by one code; and opening the database turns its failures (no IndexedDB at all, a
// newer version already there) into those codes, waits for a blocking tab, and lets go for a
// newer one.
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { databaseName, openDatabase } from "../src/store/db";
import { asStorageFault, StorageFault, type StorageFaultCode, storageFaultOf } from "../src/store/faults";
import { brokerWords, startFaultWords, storageFaultWords } from "../src/ui/words";

/** An error as a browser hands it over: a name, a message, sometimes a legacy code. */
function reported(name: string, message = "", code?: number): unknown {
  return code === undefined ? new DOMException(message, name) : { name, message, code };
}

const cases: [string, unknown, StorageFaultCode | null][] = [
  ["Chromium: QuotaExceededError with an empty message", reported("QuotaExceededError"), "full"],
  [
    "Chromium: a full disk while opening the backing store",
    reported("QuotaExceededError", "Encountered full disk while opening backing store for indexedDB.open."),
    "full",
  ],
  ["Chromium: LevelDB out of room, as UnknownError", reported("UnknownError", "IO error: .../000005.ldb: No space left on device"), "full"],
  ["Safari (old): the legacy DOMException code 22", reported("Error", "QuotaExceededError: DOM Exception 22", 22), "full"],
  ["Firefox: NS_ERROR_DOM_QUOTA_REACHED", reported("NS_ERROR_DOM_QUOTA_REACHED", "Persistent storage maximum size reached"), "full"],
  ["Firefox: NS_ERROR_FILE_NO_DEVICE_SPACE", reported("NS_ERROR_FILE_NO_DEVICE_SPACE", ""), "full"],
  [
    "Chromium: the profile's IndexedDB folder cannot be written (seen here, read-only)",
    reported("UnknownError", "Internal error opening backing store for indexedDB.open."),
    "unavailable",
  ],
  ["Chromium: site data blocked", reported("UnknownError", "The user denied permission to access the database."), "unavailable"],
  ["Firefox: cookies off", reported("SecurityError", "The operation is insecure."), "unavailable"],
  [
    "Firefox (before 115): a private window",
    reported("InvalidStateError", "A mutation operation was attempted on a database that did not allow mutations."),
    "unavailable",
  ],
  [
    "Chromium: a transaction on a closing connection",
    reported("InvalidStateError", "Failed to execute 'transaction' on 'IDBDatabase': The database connection is closing."),
    "closed",
  ],
  [
    "Safari: its IndexedDB process went away",
    reported("UnknownError", "Connection to Indexed Database server lost. Refresh the page to try again"),
    "closed",
  ],
  [
    "a newer version is already there",
    reported("VersionError", "The requested version (3) is less than the existing version (4)."),
    "closed",
  ],
  ["an AbortError on its own says nothing of the cause", reported("AbortError", "The transaction was aborted."), null],
  ["a constraint error is the app's, not the storage's", reported("ConstraintError", "Key already exists in the object store."), null],
  ["an UnknownError of no known kind", reported("UnknownError", "Something else entirely"), null],
  ["an ordinary bug", new TypeError("Cannot read properties of undefined (reading 'wall')"), null],
  ["nothing at all", undefined, null],
];

describe("naming storage faults", () => {
  it.each(cases)("%s", (_what, error, code) => {
    expect(storageFaultOf(error)).toBe(code);
  });

  it("takes the cause from the transaction when a request only says it was aborted", () => {
    const aborted = reported("AbortError", "The transaction was aborted, so the request cannot be fulfilled.");
    expect(storageFaultOf(aborted, reported("QuotaExceededError"))).toBe("full");
    expect(storageFaultOf(aborted, reported("UnknownError", "Internal error opening backing store for indexedDB.open."))).toBe("unavailable");
    // A transaction error that names nothing leaves the request's own error to decide.
    expect(storageFaultOf(reported("QuotaExceededError"), reported("AbortError"))).toBe("full");
    expect(storageFaultOf(aborted, reported("AbortError"))).toBeNull();
  });

  it("keeps the original error as the cause, and leaves unknown errors as they are", () => {
    const quota = reported("QuotaExceededError");
    const fault = asStorageFault(reported("AbortError"), quota);
    expect(fault).toBeInstanceOf(StorageFault);
    expect((fault as StorageFault).code).toBe("full");
    expect((fault as StorageFault).cause).toBe(quota);
    expect(asStorageFault(fault)).toBe(fault);
    const bug = new TypeError("a bug");
    expect(asStorageFault(bug)).toBe(bug);
  });
});

describe("opening the database", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("says unavailable when this browser has no IndexedDB", async () => {
    vi.stubGlobal("indexedDB", undefined);
    const opening = openDatabase("alice");
    await expect(opening).rejects.toBeInstanceOf(StorageFault);
    await expect(opening).rejects.toMatchObject({ code: "unavailable" });
  });

  it("says unavailable when merely reading window.indexedDB is refused", async () => {
    const refused = new DOMException("The operation is insecure.", "SecurityError");
    vi.spyOn(globalThis, "indexedDB", "get").mockImplementation(() => {
      throw refused;
    });
    try {
      await expect(openDatabase("alice")).rejects.toMatchObject({ code: "unavailable", cause: refused });
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("says unavailable when the browser refuses to open it", async () => {
    const refused = new DOMException("The user denied permission to access the database.", "UnknownError");
    const factory = { open: () => { throw refused; } } as unknown as IDBFactory;
    await expect(openDatabase("alice", factory)).rejects.toMatchObject({ code: "unavailable", cause: refused });
  });

  it("says closed when a newer version of the database is already there", async () => {
    const factory = new IDBFactory();
    const newer = await request(factory.open(databaseName("alice"), 4));
    newer.close();
    await expect(openDatabase("alice", factory)).rejects.toMatchObject({ code: "closed" });
  });

  it("waits for a tab holding an older version, says so, and goes on once it lets go", async () => {
    const factory = new IDBFactory();
    const opening = factory.open(databaseName("alice"), 2);
    // Version 2's stores, as the old build made them.
    opening.onupgradeneeded = () => {
      const db = opening.result;
      db.createObjectStore("identity", { keyPath: "id" });
      db.createObjectStore("friends", { keyPath: "handle" });
      db.createObjectStore("events", { keyPath: "id" }).createIndex("wall", "wall");
      db.createObjectStore("outbox", { keyPath: "id" });
      db.createObjectStore("meta", { keyPath: "key" });
      db.createObjectStore("blobs", { keyPath: "hash" });
    };
    const old = await request(opening);
    // An old build has no versionchange handler: it keeps the connection open.
    const blocked = vi.fn();
    let opened = false;
    const db = openDatabase("alice", factory, { blocked }).then((db) => {
      opened = true;
      return db;
    });
    await until(() => blocked.mock.calls.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(opened).toBe(false);
    old.close();
    const upgraded = await db;
    expect(blocked).toHaveBeenCalledTimes(1);
    expect(upgraded.version).toBe(3);
    expect([...upgraded.objectStoreNames]).toContain("blobInfo");
    upgraded.close();
  });

  it("lets go at once for a newer version opening elsewhere, and says closed", async () => {
    const factory = new IDBFactory();
    const closed = vi.fn();
    const db = await openDatabase("alice", factory, { closed });
    const newer = factory.open(databaseName("alice"), 4);
    const wasBlocked = vi.fn();
    newer.onblocked = wasBlocked;
    const upgraded = await request(newer);
    expect(upgraded.version).toBe(4);
    expect(wasBlocked).not.toHaveBeenCalled();
    expect(closed).toHaveBeenCalledTimes(1);
    expect(closed.mock.calls[0]![0]).toMatchObject({ code: "closed" });
    // The app's connection is really gone: nothing more goes through it.
    expect(() => db.transaction("meta")).toThrow(expect.objectContaining({ name: "InvalidStateError" }));
    upgraded.close();
  });
});

describe("the words for faults at start", () => {
  it.each(["full", "unavailable", "blocked", "closed"] as const)("%s has a title and says what to do", (code) => {
    const { title, words } = startFaultWords(code);
    expect(title).toMatch(/^Peerwall|^This browser/);
    expect(words).toMatch(/reload|Close or reload/i);
    expect(words).not.toMatch(/error|exception|IndexedDB|backing store/i);
  });

  it("uses the same words as a fault met later, where they fit", () => {
    expect(startFaultWords("unavailable").words).toBe(storageFaultWords("unavailable"));
    expect(startFaultWords("blocked").words).toBe(storageFaultWords("blocked"));
    expect(startFaultWords("closed").words).toBe(storageFaultWords("closed"));
  });

  it("explains an unreachable server from the first failed try until the next success", () => {
    const offline = { kind: "offline", reason: "Failed to fetch", retryInMs: 1000 } as const;
    expect(brokerWords(offline, true)).toMatch(/cannot reach its server.*kept in this browser.*keeps trying/);
    expect(brokerWords({ kind: "connecting" }, true)).toBe(brokerWords(offline, true));
    expect(brokerWords({ kind: "connecting" }, false)).toBeNull();
    expect(brokerWords({ kind: "online" }, true)).toBeNull();
    expect(brokerWords({ kind: "refused", reason: "log in again" }, true)).toBeNull();
  });
});

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
