// One way to build a person's Peerwall from a store and a transport: the identity, the sync
// engine and the photo exchange, wired. The app (main.tsx) and the tests' simulated network
// (test/sim.ts) both build through it, so what is tested is what runs.
import { generateIdentity, loadIdentity } from "../crypto/identity";
import { BlobExchange } from "../media/exchange";
import type { FrameDecoder } from "../sync/decode/decoder";
import type { Repository } from "../store/repository";
import { Engine, type HandleLookup } from "../sync/engine";
import type { Transport } from "../sync/transport";
import { outcomeWords } from "../ui/words";

export interface PeerwallOptions {
  me: string;
  /** This browser's device id ("" for a browser without devices, as in most simulations). */
  device?: string;
  deviceName?: string;
  repo: Repository;
  transport: Transport;
  lookup: HandleLookup;
  now?: () => number;
  log?: (message: string) => void;
  /** How long a friend may go quiet in the middle of a photo before another is asked. */
  photoStallMs?: number;
  /** Friends carry walls and writes between friends who are never online together (default on). */
  storeAndForward?: boolean;
  /** Parses and checks frames off the main thread (app/main.tsx gives it a Worker). */
  decoder?: FrameDecoder;
}

export interface Peerwall {
  engine: Engine;
  photos: BlobExchange;
}

export async function createPeerwall(options: PeerwallOptions): Promise<Peerwall> {
  const { repo } = options;
  let stored = await repo.identity();
  if (!stored) {
    stored = { id: "me", ...(await generateIdentity()) };
    await repo.saveIdentity(stored);
  }
  let photos: BlobExchange | undefined;
  const engine = await Engine.open({
    ...options,
    identity: await loadIdentity(stored),
    storedIdentity: async () => (await repo.identity()) ?? undefined,
    words: outcomeWords,
    photos: (host) => (photos = new BlobExchange(repo, host, options.photoStallMs)),
  });
  return { engine, photos: photos! };
}
