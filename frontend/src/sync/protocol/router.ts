// Where a proven peer's frame goes: friend frames to anyone proven, everything about walls and
// photos only to a trusted friend (proven, and the key I pinned for them), and what my own
// devices tell each other only to them.
import type { Diagnostics } from "../diagnostics";
import type { Frame } from "../frames";
import type { Session } from "../peers/session";
import type { PhotoPort } from "../photoPort";
import type { Delivery } from "./delivery";
import type { Friendship } from "./friendship";
import type { SelfSync } from "./selfSync";
import type { WallSync } from "./wallSync";

export interface Handlers {
  friendship: Friendship;
  wallSync: WallSync;
  delivery: Delivery;
  selfSync: SelfSync;
  photos?: PhotoPort;
  diagnostics: Diagnostics;
  /** Restored without my friend list, I take my own wall back from anyone proven (checked against my key). */
  takesMyWallFrom(session: Session, wall: string): boolean;
}

export async function route(session: Session, frame: Frame, h: Handlers): Promise<void> {
  if (session.own) return routeOwn(session, frame, h);
  switch (frame.t) {
    case "friend-request":
    case "friend-accept":
    case "friend-decline":
    case "unfriend":
      return h.friendship.onFrame(session, frame);
  }
  const restoring = frame.t === "events" && h.takesMyWallFrom(session, frame.wall);
  if (!session.trusted && !restoring)
    return h.diagnostics.drop(session.peer, "untrusted", `${frame.t} from someone who is not a trusted friend`);
  switch (frame.t) {
    case "sync":
    case "events":
    case "event":
    case "have":
    case "credit":
    case "blob-get":
    case "blob-info":
    case "blob-none":
      return routeShared(session, frame, h);
    case "deliver":
      return h.delivery.onDeliver(session, frame.event);
    case "ack":
      return h.delivery.onAck(session, frame.id, frame.seq, frame.osig, frame.dev);
    case "carry":
      return h.delivery.onCarry(session, frame.event);
    case "nack":
      return h.delivery.onNack(session, frame.id, frame.reason);
    default:
      return h.diagnostics.drop(session.peer, "out-of-turn", `${frame.t} is for my own devices`);
  }
}

type SharedFrame = Extract<Frame, { t: "sync" | "events" | "event" | "have" | "credit" | "blob-get" | "blob-info" | "blob-none" }>;

/** Walls and photos, between friends and between my own devices alike. */
function routeShared(session: Session, frame: SharedFrame, h: Handlers): Promise<void> | void {
  switch (frame.t) {
    case "sync":
      return h.wallSync.onSync(session, frame.wall, frame.since);
    case "events":
      return h.wallSync.onEvents(session, frame.wall, frame.events, frame.keys, frame.upto, frame.done, frame.batchKey);
    case "event":
      return h.wallSync.onEvents(session, frame.event.wall, [frame.event], frame.keys, null, true);
    case "have":
      return h.wallSync.onHave(session, frame.walls);
    case "credit":
      return h.wallSync.onCredit(session, frame.n);
    default:
      return h.photos?.onFrame(session.peer, frame);
  }
}

/** Another device of mine: walls both ways, my friends and my devices. */
function routeOwn(session: Session, frame: Frame, h: Handlers): Promise<void> | void {
  if (!session.trusted) return h.diagnostics.drop(session.peer, "untrusted", `${frame.t} from a device of mine that has not proved my key`);
  switch (frame.t) {
    case "sync":
    case "events":
    case "event":
    case "have":
    case "credit":
    case "blob-get":
    case "blob-info":
    case "blob-none":
      return routeShared(session, frame, h);
    case "book":
      return h.selfSync.onBook(session, frame.friends, frame.forgotten);
    case "devices":
      return h.selfSync.onDevices(frame.devices);
    default:
      return h.diagnostics.drop(session.peer, "out-of-turn", `${frame.t} between my own devices`);
  }
}
