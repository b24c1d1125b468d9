// The broker connection: a coloured dot and plain words, announced politely when it changes;
// while the server cannot be reached, a sentence saying why the wall is still there.
import { useEffect, useState } from "preact/hooks";
import { useConnection, useNow, type Connection } from "./useEngine";
import { brokerWords, connectionWords } from "./words";

export function ConnectionStatus({ connection }: { connection: Connection }) {
  const { state, retryAt } = useConnection(connection);
  const now = useNow(state.kind === "offline" ? 1000 : 60_000);
  // From a failed try until the next success: a retry's short "Connecting…" keeps the sentence.
  const [unreached, setUnreached] = useState(false);
  useEffect(() => {
    if (state.kind === "offline") setUnreached(true);
    else if (state.kind !== "connecting") setUnreached(false);
  }, [state]);
  const { label, detail } = connectionWords(state, retryAt, now);
  const why = brokerWords(state, unreached || state.kind === "offline");
  return (
    <>
      <p
        class={`status status-${state.kind}`}
        role="status"
        title={state.kind === "offline" ? state.reason : undefined}
        aria-describedby={why ? "broker-why" : undefined}
      >
        <span class="dot" aria-hidden="true" />
        <span class="status-words">
          {label}
          {detail && <span aria-hidden="true">{detail}</span>}
        </span>
      </p>
      {why && (
        <p id="broker-why" class="help">
          {why}
        </p>
      )}
    </>
  );
}
