"""JavaScript for tests that speak Peerwall's peer protocol by hand, as a hostile friend would.

``ENCODING_JS`` is spliced into the page scripts of those tests: base64url (``b64``) and
canonical JSON (``canonical``, keys sorted at every level), exactly as
frontend/src/crypto/encoding.ts makes them, so the scripts can sign proofs and events the app
accepts. ``HOSTILE_CLIENT`` is a whole hand-written client built on it; ``start_hostile_client``
runs it in a page.
"""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.harness import PEERJS_CLIENT

ENCODING_JS = """
  const b64 = (bytes) => {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let s = "";
    for (const b of view) s += String.fromCharCode(b);
    return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  };
  const canonical = (v) => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  };
"""

# ``m.waitFor(test, ms)``: the first frame in ``m.inbox`` that passes ``test``, polled (needs ``m``
# and ``timeoutMs`` in scope), shared by the hand-written clients of the hostile tests.
# The peer id a browser of ``handle`` is connected as (the app connects as handle-<device>),
# asked of the broker as the app asks it for a friend request.
LOCATE_JS = """  const locate = (peer, handle, timeoutMs) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the broker named no device of @${handle}`)), timeoutMs);
    peer.socket.on("message", (message) => {
      const ids = message.type === "LOCATED" ? message.payload.ids : [];
      if (ids.length) { clearTimeout(timer); resolve(ids[0]); }
    });
    peer.socket.send({ type: "LOCATE", payload: { handle } });
  });
"""

WAIT_FOR_JS = """  m.waitFor = (test, ms = timeoutMs) => new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const found = m.inbox.find(test);
      if (found) return resolve(found);
      if (Date.now() - started > ms) return reject(new Error("mallory waited in vain"));
      setTimeout(poll, 50);
    };
    poll();
  });
"""

# Runs in a same-origin page that runs no script of ours (``/api/ice``), after the official PeerJS
# client was injected there: an Ed25519 identity, the PeerJS client as ``me``, a connection to
# ``alice`` that says hello, answers her hello with a proof and a friend request and her pings with
# pongs, and helpers on ``window.m`` to sign events (as anyone: ``author``), send frames and wait
# for answers. Resolves to the public key; rejects with the broker's error if it refuses ``me``.
HOSTILE_CLIENT = (
    """
async ({ me, alice, timeoutMs }) => {
"""
    + ENCODING_JS
    + """  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const key = b64(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sign = async (text) =>
    b64(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(text)));
  const randomId = () => b64(crypto.getRandomValues(new Uint8Array(16)));
  const nonce = b64(crypto.getRandomValues(new Uint8Array(18)));

  const response = await fetch("/api/ice", { credentials: "same-origin" });
  const { iceServers } = await response.json();
  const peer = new peerjs.Peer(me, {
    host: location.hostname, port: Number(location.port), path: "/", secure: false, config: { iceServers },
  });
  const m = { me, alice, key, inbox: [], binary: [], errors: [], peer, conn: null };
  window.m = m;
  // Signs an event as mallory, whoever it claims to be by; `breakSig` spoils the signature.
  m.event = async ({ wall, author = me, kind = "post", body, seq, breakSig = false }) => {
    const e = { id: randomId(), wall, author, kind, ts: Date.now(), body };
    let sig = await sign(canonical({ v: 1, id: e.id, wall, author, kind, ts: e.ts, body }));
    if (breakSig) sig = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    return seq === undefined ? { ...e, sig } : { ...e, sig, seq };
  };
  // Peerwall's links are "raw" PeerJS connections carrying JSON text.
  m.send = (frame) => m.conn.send(JSON.stringify(frame));
"""
    + WAIT_FOR_JS
    + LOCATE_JS
    + """
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("mallory's Peer did not open")), timeoutMs);
    peer.on("open", () => { clearTimeout(timer); resolve(); });
    peer.on("error", (error) => { clearTimeout(timer); reject(new Error(`${error.type}: ${error.message}`)); });
  });
  peer.on("error", (error) => m.errors.push(`${error.type}: ${error.message}`));

  // Presence is told only between mutual watchers: watch alice back, as the app would.
  peer.socket.send({ type: "WATCH", payload: { handles: [alice] } });
  const aliceId = await locate(peer, alice, timeoutMs);
  const conn = peer.connect(aliceId, { serialization: "raw", reliable: true });
  m.conn = conn;
  conn.on("error", (error) => m.errors.push(`conn ${error.type}: ${error.message}`));
  conn.on("close", () => m.errors.push("the connection to alice closed"));
  conn.on("data", async (data) => {
    // Binary messages are photo chunks: kept apart, so that a test can tell whether bytes came.
    if (typeof data !== "string") return m.binary.push(data.byteLength ?? data.size ?? 0);
    let frame = data;
    try { frame = JSON.parse(data); } catch { /* kept as it came */ }
    m.inbox.push(frame);
    if (frame?.t === "ping") m.send({ t: "pong", n: frame.n });
    if (frame?.t === "hello") {
      const sig = await sign(canonical({
        p: "peerwall-proof", v: 1, nonce: frame.nonce, from: me.toLowerCase(), to: alice.toLowerCase(), key,
      }));
      m.send({ t: "proof", sig });
      m.send({ t: "friend-request" });
    }
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the connection to alice did not open")), timeoutMs);
    conn.on("open", () => {
      clearTimeout(timer);
      m.send({ t: "hello", v: 1, handle: me, key, nonce });
      resolve();
    });
  });
  return key;
}
"""
)


def start_hostile_client(page: Page, base_url: str, me: str, alice: str, timeout_ms: int) -> str:
    """Runs ``HOSTILE_CLIENT`` as ``me`` towards ``alice`` in ``page``; returns its public key.

    The page leaves the app for ``/api/ice``, a same-origin page that runs no script of ours (see
    tests/e2e/test_peerjs_client.py for why); its context must bypass the CSP (``bypass_csp=True``)
    so that the PeerJS client can be injected there. ``page.evaluate`` raises if the client fails,
    e.g. with the broker's ERROR when it refuses ``me``.
    """
    page.goto(f"{base_url}/api/ice")
    page.add_script_tag(path=str(PEERJS_CLIENT))
    return page.evaluate(HOSTILE_CLIENT, {"me": me, "alice": alice, "timeoutMs": timeout_ms})


# A PeerJS data connection to ``to`` (window.lab.peer dials): "ping", awaiting "pong"; resolves with
# the reply and the chosen candidate pair (a relayed pair has type "relay" on both ends).
RELAY_CALL = """
async ({ to, timeoutMs }) => {
  const conn = window.lab.peer.connect(to, { serialization: "json" });
  const reply = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply through the relay")), timeoutMs);
    conn.on("open", () => conn.send("ping"));
    conn.on("data", (data) => { clearTimeout(timer); resolve(data); });
    conn.on("error", (e) => reject(new Error(`${e.type}: ${e.message}`)));
  });
  // The pair a reply crossed can show as nominated a moment after the reply: ask again briefly.
  let local = null, remote = null;
  for (let tries = 0; !local && tries < 50; tries++) {
    if (tries) await new Promise((r) => setTimeout(r, 100));
    const stats = await conn.peerConnection.getStats();
    stats.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
        local = stats.get(s.localCandidateId);
        remote = stats.get(s.remoteCandidateId);
      }
    });
  }
  return { reply, local: local && { type: local.candidateType, address: local.address, port: local.port,
                                    protocol: local.relayProtocol },
           remote: remote && { type: remote.candidateType } };
}
"""
