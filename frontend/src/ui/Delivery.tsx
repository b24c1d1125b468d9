// Whether something I wrote on a friend's wall has reached it: "pending", then "✓ delivered".
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
