// The reference: peerjs-server 1.0.2 (npm `peer`) as its README starts it, on loopback only.
// Usage: node peerjs-server.mjs PORT
// concurrent_limit is raised from its default 5,000 so that the benchmark's 10,000 idle peers fit;
// everything else is the library's default (alive_timeout 90 s, expire_timeout 5 s).
import { PeerServer } from "peer";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node peerjs-server.mjs PORT");
  process.exit(2);
}
PeerServer({ host: "127.0.0.1", port, path: "/", key: "peerjs", concurrent_limit: 1_000_000 }, () => {
  console.error(`peerjs-server listening on 127.0.0.1:${port}`);
});
