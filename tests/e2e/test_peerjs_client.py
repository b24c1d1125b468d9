"""The unmodified official PeerJS client (the ``peerjs`` npm package) works against our broker.

Users sign up through the real pages; then, in each user's browser context, the vendor bundle
``peerjs.min.js`` (which defines ``window.peerjs.Peer``) is loaded into a same-origin page and
driven exactly as any PeerJS application would drive it.

Why /api/ice and not /app/: /app/ runs our own app, whose PeerJS client connects as the user's
handle too, and the broker lets the newer connection of a handle take over the older one; the
two clients would keep displacing each other. So the experiments run on ``{server}/api/ice``:
a real same-origin page of the server (JSON, shown as text) that runs no script of ours. Its
``fetch`` and WebSocket requests go to the server with the user's session cookie, exactly as the
app's would; navigating there also unloads /app/, which closes the app's own connection. The
server sends its strict CSP (no inline script) with that page too, so these contexts are made
with ``bypass_csp=True`` to let the test inject the vendor bundle as a script tag.

(A page that Playwright itself serves at the server's origin with ``page.route`` does not work:
Chromium's Local Network Access checks treat such a page as public and block its WebSocket to
127.0.0.1 with ``net::ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS``.)
"""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import Page

from tests.e2e.harness import PEERJS_CLIENT, TIMEOUT_MS, User

# The address scripts/in-netns gives the namespace's veth end; see shared/reference/browser-testing.md.
NAMESPACE_ADDRESS = "10.213.0.1"

# Runs in the page: fetches the ICE servers, makes a Peer (with the given id, or none so that the
# client asks the server for one), and resolves with {id} on `open` or {error} on `error`.
START_PEER = """
async ({ id, timeoutMs }) => {
  const response = await fetch("/api/ice", { credentials: "same-origin" });
  if (!response.ok) throw new Error(`GET /api/ice answered ${response.status}`);
  const { iceServers } = await response.json();
  const options = {
    host: location.hostname,
    port: Number(location.port),
    path: "/",
    secure: false,
    config: { iceServers },
  };
  const peer = id === null ? new peerjs.Peer(options) : new peerjs.Peer(id, options);
  window.lab = { peer, iceServers, errors: [] };
  peer.on("error", (error) => window.lab.errors.push({ type: error.type, message: String(error.message) }));
  return await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ timeout: true }), timeoutMs);
    peer.on("open", (openId) => { clearTimeout(timer); resolve({ id: openId, iceServers }); });
    peer.on("error", (error) => {
      clearTimeout(timer);
      resolve({ error: { type: error.type, message: String(error.message) } });
    });
  });
}
"""

# Runs in the callee's page: answers the first message of the first incoming connection with
# {hello: "from bob", got: <that message>}; window.lab.inbox resolves with what it saw.
LISTEN = """
({ timeoutMs }) => {
  window.lab.inbox = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no message arrived")), timeoutMs);
    window.lab.peer.on("connection", (conn) => {
      conn.on("data", (data) => {
        clearTimeout(timer);
        conn.send({ hello: "from bob", got: data });
        resolve({ peer: conn.peer, data, serialization: conn.serialization });
      });
      conn.on("error", (error) => reject(new Error(`bob's connection: ${error.type}: ${error.message}`)));
    });
  });
}
"""

# Runs in the caller's page: connects, sends {hello: "from alice", n: 42} once open, and resolves
# with the reply and the local address of the ICE candidate pair the connection uses.
CALL = """
async ({ callee, timeoutMs }) => {
  const started = performance.now();
  const conn = window.lab.peer.connect(callee, { serialization: "json" });
  let openMs = null;
  const reply = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply arrived")), timeoutMs);
    const fail = (error) => { clearTimeout(timer); reject(new Error(`${error.type}: ${error.message}`)); };
    conn.on("open", () => {
      openMs = performance.now() - started;
      conn.send({ hello: "from alice", n: 42 });
    });
    conn.on("data", (data) => { clearTimeout(timer); resolve(data); });
    conn.on("error", fail);
    window.lab.peer.on("error", fail);
  });
  const stats = await conn.peerConnection.getStats();
  let localAddress = null;
  stats.forEach((report) => {
    if (report.type === "transport" && report.selectedCandidatePairId) {
      const pair = stats.get(report.selectedCandidatePairId);
      const local = pair && stats.get(pair.localCandidateId);
      if (local) localAddress = local.address ?? local.ip ?? null;
    }
  });
  return { reply, peer: conn.peer, serialization: conn.serialization, openMs, localAddress };
}
"""


def inside_test_namespace() -> bool:
    """Is NAMESPACE_ADDRESS one of this machine's own addresses (binding sends nothing)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((NAMESPACE_ADDRESS, 0))
        except OSError:
            return False
    return True


def open_lab(user: User, server_url: str) -> Page:
    """Moves the user's page from /app/ to /api/ice (no app script there) and loads the PeerJS client."""
    page = user.page
    page.goto(f"{server_url}/api/ice")
    page.add_script_tag(path=str(PEERJS_CLIENT))
    assert page.evaluate("() => typeof window.peerjs?.Peer") == "function"
    return page


def start_peer(page: Page, peer_id: str | None) -> dict:
    return page.evaluate(START_PEER, {"id": peer_id, "timeoutMs": TIMEOUT_MS})


@pytest.fixture
def lab(sign_up, live_server_url):
    """Signs ``name`` up and returns the user with their page on the PeerJS lab page."""

    def make(name: str) -> tuple[User, Page]:
        user = sign_up(name, bypass_csp=True)
        return user, open_lab(user, live_server_url)

    return make


def test_two_peers_exchange_json_over_a_data_connection(lab):
    """Alice and Bob, each logged in, open Peers as their handles and talk over WebRTC.

    Proves: the official client attaches as the session's own handle (OPEN), the broker relays
    OFFER/ANSWER/CANDIDATE between them, the data channel opens, JSON arrives intact both ways,
    and the callee sees the caller as the handle the server stamped in ``src``.
    """
    alice, alice_page = lab("alice")
    bob, bob_page = lab("bob")

    opened = start_peer(alice_page, alice.handle)
    assert opened.get("id") == alice.handle, opened
    assert opened["iceServers"] == [], "locally the broker hands out no STUN/TURN servers"
    opened = start_peer(bob_page, bob.handle)
    assert opened.get("id") == bob.handle, opened

    bob_page.evaluate(LISTEN, {"timeoutMs": TIMEOUT_MS})
    call = alice_page.evaluate(CALL, {"callee": bob.handle, "timeoutMs": TIMEOUT_MS})
    inbox = bob_page.evaluate("() => window.lab.inbox")

    assert inbox["data"] == {"hello": "from alice", "n": 42}
    assert inbox["peer"] == alice.handle, "the caller is known by the src the server stamped"
    assert inbox["serialization"] == "json"
    assert call["reply"] == {"hello": "from bob", "got": {"hello": "from alice", "n": 42}}
    assert call["peer"] == bob.handle
    print(f"DataConnection open after {call['openMs']:.0f} ms, local ICE address {call['localAddress']}")
    if inside_test_namespace():
        # scripts/in-netns: the only non-loopback address here is the namespace's own.
        assert call["localAddress"] == NAMESPACE_ADDRESS, call

    assert alice_page.evaluate("() => window.lab.errors") == []
    assert bob_page.evaluate("() => window.lab.errors") == []


def test_a_peer_without_an_id_gets_its_handle_from_the_server(lab):
    """``new Peer()`` with no id asks GET /peerjs/id, which names the logged-in handle.

    Proves: the id endpoint answers the client's ``{path}{key}/id`` request with the session's
    handle, and the broker then accepts that id (the Peer opens with it).
    """
    alice, page = lab("alice")

    opened = start_peer(page, None)

    assert opened.get("id") == alice.handle, opened
    assert page.evaluate("() => window.lab.peer.id") == alice.handle


def test_a_peer_cannot_claim_someone_elses_handle(lab):
    """Alice's session asking for Bob's id gets a ``server-error``; Bob's connection is untouched.

    Proves: the broker refuses ids that are not the session's own with an ERROR frame the
    official client surfaces as a ``server-error`` event (never an OPEN, never a relay), and the
    refusal does not take over the real owner's connection.
    """
    alice, alice_page = lab("alice")
    bob, bob_page = lab("bob")
    assert start_peer(bob_page, bob.handle).get("id") == bob.handle

    refused = start_peer(alice_page, bob.handle)

    assert "id" not in refused, f"the broker let @{alice.handle} open as @{bob.handle}"
    assert refused.get("error", {}).get("type") == "server-error", refused
    assert f"'{alice.handle}'" in refused["error"]["message"]
    bob_state = bob_page.evaluate(
        "() => ({ open: window.lab.peer.open, disconnected: window.lab.peer.disconnected, errors: window.lab.errors })"
    )
    assert bob_state == {"open": True, "disconnected": False, "errors": []}
