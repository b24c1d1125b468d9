/** My connection to the broker, as the UI shows it. */
export type BrokerState =
  | { kind: "connecting" }
  | { kind: "online" }
  | { kind: "offline"; reason: string; retryInMs: number }
  | { kind: "refused"; reason: string };

// What the sync engine needs from the network, and nothing more: the PeerJS implementation
// lives in net/, a simulated one in the tests.

export interface Link {
  /** The other side's handle, as the broker authenticated it. */
  readonly peer: string;
  /** Which of the other side's devices ("" for a browser connected by its bare handle). */
  readonly device: string;
  /** True when I dialed. */
  readonly initiator: boolean;
  /** Sends a frame; false when the link is not open. */
  send(frame: unknown): boolean;
  /** Sends a binary message (a blob chunk); false when the link is not open. */
  sendBinary(message: ArrayBuffer): boolean;
  /** Bytes queued on the link and not yet sent: senders of bulk data wait while it is high. */
  readonly buffered: number;
  /** Closes once the frames already sent have gone out. */
  close(): void;
  /** Set by the engine. Called once the link can carry frames. */
  onOpen: () => void;
  /** A frame as the peer sent it: JSON text on a real link; the engine parses and checks it. */
  onFrame: (frame: unknown) => void;
  onBinary: (message: ArrayBuffer) => void;
  /** Called when the queued bytes have drained below the link's low-water mark. */
  onDrain: () => void;
  onClose: () => void;
}

export interface TransportHandlers {
  /** A new link, dialed by me or by the other side; it opens later (onOpen). */
  link(link: Link): void;
  /** A device of a mutual watcher (or of mine) came online or left. */
  presence(handle: string, device: string, online: boolean): void;
  /** A dial failed because that device is not connected to the broker. */
  unavailable(handle: string, device: string): void;
  /** The devices of a handle connected now, as the broker answered ``locate``. */
  located(handle: string, devices: string[]): void;
  /** My own connection to the broker came up or went down. */
  broker(online: boolean): void;
}

export interface Transport {
  setHandlers(handlers: TransportHandlers): void;
  /** Dials one device of a handle ("" for the bare handle). */
  dial(handle: string, device: string): void;
  /**
   * The handles whose presence I want; the broker tells only about those watching me back.
   * ``watchers``: also everyone who watches me (a browser restored without its friend list).
   */
  watch(handles: string[], watchers?: boolean): void;
  /** Asks the broker which devices of a handle are connected (to reach someone I asked). */
  locate(handle: string): void;
}
