// Whether something I wrote on a friend's wall has reached it: "pending", then "✓ delivered";
// and whether what I see came from its wall's owner or was carried by a friend ("via @carol").
import { Icon } from "./icons";

export function Delivery({ pending, wall, author, me }: { pending: boolean; wall: string; author: string; me: string }) {
  if (pending) {
    return (
      <span class="badge pending" title={`Waiting to reach @${wall}; it is delivered when you are both online.`}>
        <Icon name="clock" />
        pending
      </span>
    );
  }
  if (author === me && wall !== me) {
    return (
      <span class="delivered" title={`Delivered to @${wall}'s wall`}>
        <Icon name="check" />
        delivered
      </span>
    );
  }
  return null;
}

/** A post or comment a friend carried to me: "via @carol", until the wall's owner confirms it. */
export function Via({ via, wall }: { via?: string; wall: string }) {
  if (!via) return null;
  return (
    <span class="via" title={`@${via} brought this from @${wall}'s wall; it will be confirmed when you next meet @${wall}.`}>
      via @{via}
    </span>
  );
}
