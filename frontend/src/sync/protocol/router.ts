// Where a proven peer's frame goes: friend frames to anyone proven, everything about walls and
// photos only to a trusted friend (proven, and the key I pinned for them).
import type { Diagnostics } from "../diagnostics";
import type { Frame } from "../frames";
import type { Session } from "../peers/session";
import type { PhotoPort } from "../photoPort";
import type { Delivery } from "./delivery";
import type { Friendship } from "./friendship";
import type { WallSync } from "./wallSync";

export interface Handlers {
  friendship: Friendship;
  wallSync: WallSync;
  delivery: Delivery;
  photos?: PhotoPort;
  diagnostics: Diagnostics;
}

export async function route(session: Session, frame: Frame, h: Handlers): Promise<void> {
  switch (frame.t) {
    case "friend-request":
    case "friend-accept":
    case "friend-decline":
    case "unfriend":
      return h.friendship.onFrame(session, frame);
  }
  if (!session.trusted) return h.diagnostics.drop(session.peer, "untrusted", `${frame.t} from someone who is not a trusted friend`);
  switch (frame.t) {
    case "sync":
      return h.wallSync.onSync(session, frame.wall, frame.since);
    case "events":
      return h.wallSync.onEvents(session, frame.wall, frame.events, frame.keys, frame.upto, frame.done);
    case "event":
      return h.wallSync.onEvents(session, frame.event.wall, [frame.event], frame.keys, null, true);
    case "deliver":
      return h.delivery.onDeliver(session, frame.event);
    case "ack":
      return h.delivery.onAck(session, frame.id, frame.seq, frame.osig);
    case "have":
      return h.wallSync.onHave(session, frame.walls);
    case "carry":
      return h.delivery.onCarry(session, frame.event);
    case "nack":
      return h.delivery.onNack(session, frame.id, frame.reason);
    case "blob-get":
    case "blob-info":
    case "blob-none":
      return h.photos?.onFrame(session.peer, frame);
  }
}
