// "5 min ago", with the full date in the tooltip and the machine-readable time in datetime.
import { fullTime, refreshIn, relativeTime } from "./time";
import { useNow } from "./useEngine";

export function RelativeTime({ ts }: { ts: number }) {
  const now = useNow(refreshIn(ts, Date.now()));
  const date = new Date(ts);
  return (
    <time class="when" dateTime={date.toISOString()} title={fullTime(ts)}>
      {relativeTime(ts, now)}
    </time>
  );
}
