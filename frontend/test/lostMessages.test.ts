// A stranger's junk for connections this page never made stays bounded in the PeerJS client.
import { Peer } from "peerjs";
import { describe, expect, it } from "vitest";
import { boundLostMessages, MAX_LOST_CONNECTIONS, MAX_LOST_PER_CONNECTION } from "../src/net/peerjsTransport";

type Held = { _lostMessages: Map<string, unknown[]>; _storeMessage(id: string, m: unknown): void; _getMessages(id: string): unknown[] };

/** The real client's own methods, on an object that opens no socket. */
function client(): Held {
  const peer = Object.create(Peer.prototype) as Held;
  peer._lostMessages = new Map();
  return peer;
}

const candidate = (n: number) => ({ type: "CANDIDATE", payload: { connectionId: `dc_${n}`, candidate: "x".repeat(500) } });

describe("messages for unknown connections", () => {
  it("pile up without end in the unmodified client", () => {
    const peer = client();
    for (let i = 0; i < 5_000; i++) peer._storeMessage(`dc_${i}`, candidate(i));
    expect(peer._lostMessages.size).toBe(5_000);
  });

  it("are kept for a few connections and a few messages each once bounded", () => {
    const peer = client();
    boundLostMessages(peer as unknown as Peer);
    for (let i = 0; i < 5_000; i++) peer._storeMessage(`dc_${i}`, candidate(i));
    for (let i = 0; i < 1_000; i++) peer._storeMessage("dc_one", candidate(i));
    expect(peer._lostMessages.size).toBe(MAX_LOST_CONNECTIONS);
    expect(peer._lostMessages.get("dc_one")).toHaveLength(MAX_LOST_PER_CONNECTION);
  });

  it("still hands an honest early candidate to the connection its offer makes", () => {
    const peer = client();
    boundLostMessages(peer as unknown as Peer);
    peer._storeMessage("dc_real", candidate(1));
    peer._storeMessage("dc_real", candidate(2));
    expect(peer._getMessages("dc_real")).toEqual([candidate(1), candidate(2)]);
    expect(peer._lostMessages.has("dc_real")).toBe(false);
  });
});
