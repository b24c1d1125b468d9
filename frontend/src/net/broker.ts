// The link to the Peerwall broker: ICE servers from /api/ice, then the PeerJS client on /peerjs
// as my own handle, reconnecting with backoff when the network or the server goes away.
import { Peer } from "peerjs";

export type BrokerState =
  | { kind: "connecting" }
  | { kind: "online" }
  | { kind: "offline"; reason: string; retryInMs: number }
  | { kind: "refused"; reason: string };

export async function loadIceServers(fetchImpl: typeof fetch = fetch): Promise<RTCIceServer[]> {
  const response = await fetchImpl("/api/ice", { credentials: "same-origin" });
  if (!response.ok) throw new Error(`ICE servers unavailable (HTTP ${response.status})`);
  const body = (await response.json()) as { iceServers?: RTCIceServer[] };
  return Array.isArray(body.iceServers) ? body.iceServers : [];
}

export function peerOptions(location: Location, iceServers: RTCIceServer[]) {
  const secure = location.protocol === "https:";
  return {
    host: location.hostname,
    port: Number(location.port) || (secure ? 443 : 80),
    path: "/",
    secure,
    config: { iceServers },
  };
}

/** Delay before reconnect attempt n (0-based): 1 s doubling to 30 s, with jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.75 + random() * 0.5));
}

export function connectBroker(handle: string, onState: (state: BrokerState) => void): () => void {
  let peer: Peer | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const retry = (reason: string) => {
    if (stopped) return;
    const wait = backoffMs(attempt++);
    onState({ kind: "offline", reason, retryInMs: wait });
    clearTimeout(timer);
    timer = setTimeout(start, wait);
  };

  async function start() {
    if (stopped) return;
    onState({ kind: "connecting" });
    let iceServers: RTCIceServer[];
    try {
      iceServers = await loadIceServers();
    } catch (error) {
      retry(error instanceof Error ? error.message : "cannot reach the server");
      return;
    }
    peer?.destroy();
    const current = new Peer(handle, peerOptions(window.location, iceServers));
    peer = current;
    current.on("open", () => {
      attempt = 0;
      onState({ kind: "online" });
    });
    current.on("error", (error) => {
      if (current !== peer) return;
      // server-error is the broker refusing us (logged out, taken over): retrying would loop.
      if (error.type === "server-error" || error.type === "unavailable-id") {
        stopped = true;
        onState({ kind: "refused", reason: error.message });
        current.destroy();
      } else if (error.type === "network" || error.type === "socket-error" || error.type === "socket-closed") {
        retry("lost the connection to the server");
      }
    });
    current.on("disconnected", () => {
      if (current === peer && !stopped) retry("disconnected from the server");
    });
  }

  void start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    peer?.destroy();
  };
}
