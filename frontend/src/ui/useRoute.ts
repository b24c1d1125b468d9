// The current hash route; focus moves to the new view's heading when it changes (not on first load).
import { useEffect, useRef, useState } from "preact/hooks";
import { parseRoute, type Route } from "./route";

export function useRoute(me: string): Route {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);

  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    scrollTo({ top: 0 });
    document.getElementById("view-heading")?.focus({ preventScroll: true });
  }, [hash]);

  return parseRoute(hash, me);
}
