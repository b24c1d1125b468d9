// Pieces of the link to the Peerwall broker: ICE servers from /api/ice, the PeerJS options for
// this origin, and the reconnection backoff (net/peerjsTransport.ts puts them together).
import type { BrokerState } from "../sync/transport";

export type { BrokerState };

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
