// The composition root: one live tab, the store, my identity, the broker link, the sync
// engine and the views, wired together. Nothing else knows all of them.
import { type JSX, render } from "preact";
import { generateIdentity } from "../crypto/identity";
import { PeerjsTransport } from "../net/peerjsTransport";
import type { BrokerState } from "../sync/transport";
import { openDatabase } from "../store/db";
import { asStorageFault, StorageFault, type StorageFaultCode } from "../store/faults";
import { Repository } from "../store/repository";
import { App } from "../ui/App";
import { Notice } from "../ui/Notice";
import { startFaultWords } from "../ui/words";
import { SetupChoice } from "../ui/SetupChoice";
import { backupFileName, importBackup } from "./backup";
import { defaultDeviceName, deviceIdOf } from "./device";
import { Observable } from "./observable";
import { createPeerwall } from "./peerwall";
import { type FrameDecoder, inlineDecoder, WorkerDecoder } from "../sync/decode/decoder";
import { askToPersist } from "./persistence";
import { SpaceWatch } from "./space";
import { setupActions } from "./setup";
import { acquireTab, type TabLock } from "./singleTab";

/**
 * After log-in in a browser that holds no key of mine, the app asks first how to get it (link,
 * restore, import, or a new one). A new account (this session signed up) simply makes one.
 */
async function keyReady(me: string, device: string, deviceName: string, repo: Repository, mount: HTMLElement): Promise<void> {
  if ((await repo.identity()) || document.body.dataset.newAccount) return;
  await new Promise<void>((done) => {
    const actions = setupActions({ me, device, deviceName, repo, done });
    render(<SetupChoice handle={me} actions={actions} />, mount);
  });
  render(null, mount);
}

const root = document.getElementById("app");
const handle = document.body.dataset.handle;

async function lookupHandle(wanted: string): Promise<string | null> {
  const response = await fetch(`/api/handles/${encodeURIComponent(wanted)}`, { credentials: "same-origin" });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error("Could not check that handle right now; try again in a moment.");
  const body = (await response.json()) as { handle?: unknown };
  return typeof body.handle === "string" ? body.handle : null;
}

/** The page's one notice for a storage fault, with a way to try again. */
function StorageNotice({ code }: { code: StorageFaultCode }) {
  const { title, words } = startFaultWords(code);
  return (
    <Notice title={title} action={code === "blocked" ? undefined : <ReloadButton />}>
      {words}
    </Notice>
  );
}

function ReloadButton() {
  return (
    <button type="button" class="button" onClick={() => location.reload()}>
      Reload
    </button>
  );
}

async function boot(me: string, lock: TabLock, mount: HTMLElement): Promise<void> {
  let closed!: (fault: StorageFault) => void;
  const storageClosed = new Promise<StorageFault>((resolve) => (closed = resolve));
  const db = await openDatabase(me, undefined, {
    // Until the other tab lets go there is nothing else to show; the open then goes on by itself.
    blocked: () => render(<StorageNotice code="blocked" />, mount),
    closed,
  });
  const repo = new Repository(db);
  const device = await deviceIdOf(repo);
  // Two browsers of one kind are told apart until I name them.
  const deviceName = `${defaultDeviceName()} (${device.slice(0, 4)})`;
  await keyReady(me, device, deviceName, repo, mount);
  const persistence = askToPersist();
  const connection = new Observable<BrokerState>({ kind: "connecting" });
  const transport = new PeerjsTransport(me, device, (state) => connection.set(state));
  const decoder = frameDecoder();
  const { engine, photos } = await createPeerwall({ me, device, deviceName, repo, transport, lookup: lookupHandle, decoder });
  engine.start();
  transport.start();

  const backup = {
    async exportFile(): Promise<{ blob: Blob; name: string }> {
      const data = await repo.exportAll(me);
      return { blob: new Blob([JSON.stringify(data)], { type: "application/json" }), name: backupFileName(me) };
    },
    async startFresh(): Promise<void> {
      await engine.startAnew();
      await repo.saveIdentity({ id: "me", ...(await generateIdentity()) });
      // The engine and identity are rebuilt from the store, as on any load.
      location.reload();
    },
    async importFile(file: File): Promise<string> {
      const sentence = await importBackup(repo, me, file);
      // The engine and identity are rebuilt from the store, as on any load.
      setTimeout(() => location.reload(), 1500);
      return `${sentence} Reloading…`;
    },
  };

  let stopped = false;
  const stop = (notice: JSX.Element) => {
    if (stopped) return;
    stopped = true;
    engine.stop();
    transport.stop();
    decoder.close();
    repo.close();
    render(notice, mount);
  };
  void lock.lost.then(() =>
    stop(
      <Notice title="Peerwall is open in another tab">
        This tab stepped aside so that only one tab writes your wall. <a href="/app/">Use it here instead</a>
      </Notice>,
    ),
  );
  void storageClosed.then((fault) => {
    stop(<StorageNotice code={fault.code} />);
    // This tab no longer writes: another may be the live one.
    lock.release();
  });

  // How much room there is, and whether a write did not fit: the store tells, Settings shows.
  const watch = new SpaceWatch();
  repo.onFault((fault) => watch.fault(fault));
  repo.onRoom(() => watch.roomMade());
  void watch.measure();
  const space = {
    watch,
    measure: () => watch.measure(),
    use: () => repo.storageUse(),
    walls: () => repo.wallsUse(me),
    freeCached: async () => {
      const n = await repo.freeCachedBlobs();
      photos.forgetCached();
      return n;
    },
    photoCap: () => photos.photoCap(),
    setPhotoCap: (bytes: number) => photos.setPhotoCap(bytes),
  };

  render(
    <App engine={engine} photos={photos} space={space} connection={connection} persistence={persistence} backup={backup} />,
    mount,
  );
}

async function main(me: string, mount: HTMLElement): Promise<void> {
  const lock = await acquireTab(me, false);
  if (lock) return boot(me, lock, mount);
  const takeOver = async () => {
    const stolen = await acquireTab(me, true);
    if (stolen) await boot(me, stolen, mount);
  };
  render(
    <Notice title="Peerwall is open in another tab">
      Only one tab at a time keeps your wall.{" "}
      <button type="button" class="button" onClick={() => void takeOver()}>
        Take over
      </button>
    </Notice>,
    mount,
  );
}

/** The app could not start: a storage fault in plain words, anything else as it is. */
function failed(error: unknown, mount: HTMLElement): void {
  const fault = asStorageFault(error);
  if (fault instanceof StorageFault) {
    // The browser's doing, not a bug of the app: said on the page, the cause kept for whoever looks.
    console.warn("[peerwall] cannot open the store:", fault.cause ?? fault);
    render(<StorageNotice code={fault.code} />, mount);
    return;
  }
  console.error(error);
  render(
    <Notice title="Peerwall could not start" action={<ReloadButton />}>
      {error instanceof Error ? error.message : String(error)}
    </Notice>,
    mount,
  );
}

if (root && handle) {
  main(handle, root).catch((error: unknown) => failed(error, root));
}

/** Frames are parsed and catch-up batches checked in a Worker, beside the page (build.mjs builds it). */
function frameDecoder(): FrameDecoder {
  try {
    return new WorkerDecoder(new Worker(new URL("./decodeWorker.js", import.meta.url), { type: "module" }));
  } catch {
    return inlineDecoder;
  }
}
