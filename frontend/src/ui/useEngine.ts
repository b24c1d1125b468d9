// Hooks that re-render a view when the engine, the broker connection or the clock moves on.
import { useEffect, useReducer, useState } from "preact/hooks";
import type { Engine } from "../sync/engine";
import type { BrokerState } from "../sync/transport";
import type { Watched } from "./useObservable";

/** Re-renders on every engine change; returns the engine's version. */
export function useEngine(engine: Engine): number {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const stop = engine.subscribe(() => bump(undefined));
    return () => void stop();
  }, [engine]);
  return engine.version;
}

export type Connection = Watched<BrokerState>;

/** The broker state, and when (by the clock) an offline link retries. */
export function useConnection(connection: Connection): { state: BrokerState; retryAt: number } {
  const stamp = (state: BrokerState) => ({ state, retryAt: Date.now() + (state.kind === "offline" ? state.retryInMs : 0) });
  const [value, setValue] = useState(() => stamp(connection.get()));
  useEffect(() => {
    setValue(stamp(connection.get()));
    const stop = connection.subscribe((state) => setValue(stamp(state)));
    return () => void stop();
  }, [connection]);
  return value;
}

// One clock for every relative time on the page, not one timer per post.
const ticking = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | undefined;

/** The current time, refreshed every ``everyMs`` (the shared clock ticks each second). */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    let last = Date.now();
    const tick = (t: number) => {
      if (t - last >= everyMs) {
        last = t;
        setNow(t);
      }
    };
    ticking.add(tick);
    timer ??= setInterval(() => {
      const t = Date.now();
      for (const listener of ticking) listener(t);
    }, 1000);
    return () => {
      ticking.delete(tick);
      if (ticking.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    };
  }, [everyMs]);
  return now;
}
