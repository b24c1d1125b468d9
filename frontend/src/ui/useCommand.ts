// Runs an engine command for a view: busy while it runs, its error in plain words after.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export interface Command {
  busy: boolean;
  error: string | null;
  /** Runs ``task``; resolves to true when it succeeded, false when it failed (the error is kept). */
  run(task: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
}

export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong; please try again.";
}

export function useCommand(): Command {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  const run = useCallback(async (task: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await task();
      return true;
    } catch (e) {
      if (alive.current) setError(messageOf(e));
      return false;
    } finally {
      if (alive.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}
