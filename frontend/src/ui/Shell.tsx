import { useEffect, useState } from "preact/hooks";
import { type BrokerState, connectBroker } from "../net/broker";

function describe(state: BrokerState): string {
  switch (state.kind) {
    case "connecting":
      return "Connecting…";
    case "online":
      return "Online";
    case "offline":
      return `Offline: ${state.reason}. Retrying in ${Math.ceil(state.retryInMs / 1000)} s.`;
    case "refused":
      return `Not connected: ${state.reason}`;
  }
}

export function Shell({ handle }: { handle: string }) {
  const [state, setState] = useState<BrokerState>({ kind: "connecting" });
  useEffect(() => connectBroker(handle, setState), [handle]);
  return (
    <section class="wall" aria-labelledby="wall-heading">
      <h1 id="wall-heading">@{handle}</h1>
      <p class={`status status-${state.kind}`} role="status">
        <span class="dot" aria-hidden="true" /> {describe(state)}
      </p>
      <p class="empty">Your wall is empty for now. Walls, friends and posts arrive with the next release.</p>
    </section>
  );
}
