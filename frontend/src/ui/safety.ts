// Safety numbers, for comparing keys by eye.
import { useEffect, useState } from "preact/hooks";
import { safetyNumber } from "../sync/keys";

/** The safety number of two keys, once computed (null before, or without a key). */
export function useSafetyNumber(mine: string, theirs: string | undefined): string | null {
  const [value, setValue] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setValue(null);
    if (theirs) void safetyNumber(mine, theirs).then((n) => live && setValue(n));
    return () => void (live = false);
  }, [mine, theirs]);
  return value;
}
