// The broker connection: a coloured dot and plain words, announced politely when it changes.
import { useConnection, useNow, type Connection } from "./useEngine";
import { connectionWords } from "./words";

export function ConnectionStatus({ connection }: { connection: Connection }) {
  const { state, retryAt } = useConnection(connection);
  const now = useNow(state.kind === "offline" ? 1000 : 60_000);
  const { label, detail } = connectionWords(state, retryAt, now);
  return (
    <p class={`status status-${state.kind}`} role="status" title={state.kind === "offline" ? state.reason : undefined}>
      <span class="dot" aria-hidden="true" />
      <span class="status-words">
        {label}
        {detail && <span aria-hidden="true">{detail}</span>}
      </span>
    </p>
  );
}
