// The choice a browser with nothing of mine offers after log-in: link to my other device,
// restore my key from its phrase, import a backup, or start fresh. Each ends with a key in
// this browser's store; then the app starts as on any load.
import { generateIdentity } from "../crypto/identity";
import { PeerjsTransport } from "../net/peerjsTransport";
import type { Repository } from "../store/repository";
import type { SetupActions } from "../sync/devices/types";
import { Devices } from "../sync/state/devices";
import { importBackup } from "./backup";
import { linkWithCode } from "./linkClient";

export interface SetupOptions {
  me: string;
  device: string;
  deviceName: string;
  repo: Repository;
  /** The set-up is done: a key is stored. */
  done(): void;
}

export function setupActions({ me, device, deviceName, repo, done }: SetupOptions): SetupActions {
  return {
    async link(code: string): Promise<void> {
      // A link of its own to the broker, as this device: the app's comes after, with the key.
      const transport = new PeerjsTransport(me, device, () => {});
      transport.start();
      try {
        const linked = await linkWithCode(transport, me, code, deviceName);
        await repo.saveIdentity({ id: "me", ...linked.identity });
        const devices = await Devices.open(repo, device, Date.now, deviceName);
        await devices.merge(linked.devices);
      } finally {
        transport.stop();
      }
      done();
    },
    async restore(phrase: string): Promise<void> {
      const { identityFromPhrase } = await import("../crypto/recoveryPhrase");
      const identity = await identityFromPhrase(phrase);
      await repo.saveIdentity({ id: "me", ...identity });
      // My friend list comes back with my wall, from the first friend who holds it.
      await repo.saveMeta("restoring", true);
      done();
    },
    async importBackup(file: File): Promise<string> {
      const sentence = await importBackup(repo, me, file);
      if (!(await repo.identity())) throw new Error("This backup holds no key. Choose another backup, or start fresh.");
      // A moment to read what came back, then the wall.
      setTimeout(done, 1_500);
      return sentence;
    },
    async startFresh(): Promise<void> {
      await repo.saveIdentity({ id: "me", ...(await generateIdentity()) });
      done();
    },
  };
}
