"""TURN through coturn: /api/ice hands out coturn REST-API credentials that really work.

Debian's coturn runs on loopback with ``use-auth-secret``; the broker is configured with its
URL and secret; two users' browsers, forced to ``iceTransportPolicy: "relay"``, open a PeerJS
data connection through the relay (the selected candidate pair is of type relay). A tampered or
expired credential is refused by coturn (401) and yields no relay candidate: it fails cleanly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.e2e.harness import PEERJS_CLIENT, TIMEOUT_MS, LiveServer, free_port, sign_up, unique_handle
from tests.e2e.peer_js import RELAY_CALL
from tests.services import services_required

SECRET = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Debian's coturn on 127.0.0.1, use-auth-secret; yields its turn: URL."""
    binary = shutil.which("turnserver")
    if binary is None:
        reason = "coturn is not installed (apt-get install coturn) to test TURN relaying"
        if services_required() or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()  # coturn takes udp and tcp; a free tcp port is free enough here
    workdir = tmp_path_factory.mktemp("coturn")
    log = (workdir / "turnserver.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "-n",  # no configuration file: everything is here
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            "--use-auth-secret",
            f"--static-auth-secret={SECRET}",
            "--realm=peerwall.test",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--min-port=50000",
            "--max-port=50200",
            # Both peers are on this machine: let coturn relay to loopback addresses.
            "--allow-loopback-peers",
            "--fingerprint",
            f"--userdb={workdir / 'turndb'}",
            "--log-file=stdout",
            "--simple-log",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    time.sleep(0.5)
    if process.poll() is not None:
        pytest.fail(f"turnserver exited at once:\n{(workdir / 'turnserver.log').read_text()}")
    try:
        yield f"turn:127.0.0.1:{port}?transport=udp"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def turn_server_url(coturn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A broker of its own, whose /api/ice hands out credentials for that coturn."""
    server = LiveServer.start(tmp_path_factory.mktemp("turn-broker"), env={"TURN_URLS": coturn, "TURN_SECRET": SECRET})
    try:
        yield server.url
    finally:
        server.stop()


PEER = """
async ({ id, relayOnly }) => {
  const { iceServers } = await (await fetch("/api/ice", { credentials: "same-origin" })).json();
  const config = { iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" };
  const where = { host: location.hostname, port: Number(location.port), path: "/", secure: false };
  const peer = new peerjs.Peer(id, { ...where, config });
  window.lab = { peer, iceServers };
  await new Promise((resolve, reject) => { peer.on("open", resolve); peer.on("error", reject); });
  return iceServers;
}
"""

LISTEN = """
() => {
  window.lab.inbox = new Promise((resolve) => {
    window.lab.peer.on("connection", (conn) => conn.on("data", (data) => { conn.send("pong"); resolve(data); }));
  });
}
"""


# Gathers relay candidates with the given server entry; resolves with what it got and the errors.
GATHER = """
async ({ server }) => {
  const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: "relay" });
  const errors = [];
  const relays = [];
  pc.onicecandidateerror = (e) => errors.push(e.errorCode);
  pc.onicecandidate = (e) => { if (e.candidate && e.candidate.type === "relay") relays.push(e.candidate.candidate); };
  pc.createDataChannel("probe");
  await pc.setLocalDescription();
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 10000);
  });
  pc.close();
  return { relays: relays.length, errors };
}
"""


def _credential(expires_at: int, handle: str) -> tuple[str, str]:
    username = f"{expires_at}:{handle}"
    return username, base64.b64encode(hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()).decode()


def _user(browser: Browser, base_url: str, name: str):
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    handle = unique_handle(name)
    page = sign_up(context, base_url, handle)
    # A same-origin page that runs none of our scripts (see test_peerjs_client.py for why).
    page.goto(f"{base_url}/api/ice")
    page.add_script_tag(path=str(PEERJS_CLIENT))
    return handle, context, page


def test_data_connection_opens_through_the_relay(browser: Browser, turn_server_url: str, coturn: str):
    alice, alice_context, alice_page = _user(browser, turn_server_url, "alice")
    bob, bob_context, bob_page = _user(browser, turn_server_url, "bob")
    try:
        ice = alice_page.evaluate(PEER, {"id": alice, "relayOnly": True})
        (turn,) = ice
        assert turn["urls"] == [coturn]
        expiry, who = turn["username"].split(":")
        assert who == alice and int(expiry) > time.time()
        bob_page.evaluate(PEER, {"id": bob, "relayOnly": True})
        bob_page.evaluate(LISTEN)
        result = alice_page.evaluate(RELAY_CALL, {"to": bob, "timeoutMs": 20_000})
        assert result["reply"] == "pong" and result["local"]["type"] == "relay", result
        assert bob_page.evaluate("() => window.lab.inbox") == "ping"
    finally:
        alice_context.close()
        bob_context.close()


@pytest.mark.parametrize("case", ["tampered", "expired"])
def test_a_bad_credential_fails_cleanly(browser: Browser, turn_server_url: str, coturn: str, case: str):
    handle, context, page = _user(browser, turn_server_url, "carol")
    try:
        if case == "tampered":
            username, credential = _credential(int(time.time()) + 600, handle)
            credential = credential[::-1]
        else:
            username, credential = _credential(int(time.time()) - 60, handle)
        fresh_username, fresh_credential = _credential(int(time.time()) + 600, handle)
        good = page.evaluate(
            GATHER, {"server": {"urls": coturn, "username": fresh_username, "credential": fresh_credential}}
        )
        assert good["relays"] > 0 and good["errors"] == []  # the same server, with a good credential
        bad = page.evaluate(GATHER, {"server": {"urls": coturn, "username": username, "credential": credential}})
        assert bad["relays"] == 0
        assert 401 in bad["errors"]
    finally:
        context.close()
