// Runs an engine command for a view: busy while it runs, its error in plain words after.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type StorageFaultCode, storageFaultOf } from "../store/faults";
import { storageFaultWords } from "./words";

/** What went wrong, for the person: the words, and the storage fault behind them if there is one. */
export interface Said {
  text: string;
  fault: StorageFaultCode | null;
}

export interface Command {
  busy: boolean;
  error: Said | null;
  /** Runs ``task``; resolves to true when it succeeded, false when it failed (the error is kept). */
  run(task: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
}

/** An error in words: a storage fault says what happened and what to do; others say their message. */
export function said(error: unknown): Said {
  const fault = storageFaultOf(error);
  if (fault) return { text: storageFaultWords(fault), fault };
  if (error instanceof Error && error.message) return { text: error.message, fault: null };
  return { text: "Something went wrong; please try again.", fault: null };
}

export function messageOf(error: unknown): string {
  return said(error).text;
}

export function useCommand(): Command {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Said | null>(null);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  const run = useCallback(async (task: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await task();
      return true;
    } catch (e) {
      if (alive.current) setError(said(e));
      return false;
    } finally {
      if (alive.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}
