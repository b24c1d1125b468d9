// A friend presented a different key: show the new safety number, let me confirm it.
import type { Engine } from "../sync/engine";
import { Icon } from "./icons";
import { useSafetyNumber } from "./safety";
import { useCommand } from "./useCommand";
import { CommandError } from "./CommandError";

export function KeyWarning({ engine, handle }: { engine: Engine; handle: string }) {
  const number = useSafetyNumber(engine.publicKey, engine.friend(handle)?.changedKey);
  const command = useCommand();
  return (
    <div class="key-warning">
      <p>
        <Icon name="alert" />
        <strong>@{handle}'s key changed.</strong> Nothing syncs with @{handle} until you confirm it. Perhaps they moved to a
        new browser, or someone is pretending to be them: compare this safety number with @{handle} in person or on a call.
      </p>
      <p class="safety-number">{number ?? "…"}</p>
      <button type="button" class="button small" disabled={command.busy} onClick={() => void command.run(() => engine.confirmKey(handle))}>
        Confirm new key
      </button>
      <CommandError error={command.error} />
    </div>
  );
}
