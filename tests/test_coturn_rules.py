"""deploy/turnserver.conf, run by Debian's coturn, against a real TURN client (tests/turn_client.py):
a credential holds a bounded number of relays, and no relay reaches a private address, IPv4 or
IPv6. The browsers' relayed data channel itself is tested in tests/e2e/test_turn_relay.py."""

import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import free_port
from tests.services import services_required
from tests.turn_client import TurnClient, rest_credential

CONF = Path(__file__).resolve().parent.parent / "deploy" / "turnserver.conf"
SECRET = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def coturn(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """coturn with deploy/turnserver.conf as it is, on loopback ports of its own."""
    binary = shutil.which("turnserver")
    if binary is None:
        reason = "coturn is not installed (apt-get install coturn) to test its rules"
        if services_required() or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("coturn-rules")
    port = free_port()
    relay = 51000 + port % 1000
    conf = CONF.read_text()
    conf = re.sub(r"^listening-port=.*$", f"listening-port={port}", conf, flags=re.M)
    conf = re.sub(r"^min-port=.*$", f"min-port={relay}", conf, flags=re.M)
    conf = re.sub(r"^max-port=.*$", f"max-port={relay + 60}", conf, flags=re.M)
    # What compose passes on the command line, and this machine's loopback for the relays.
    conf += (
        f"\nstatic-auth-secret={SECRET}\nrealm=peerwall.test\nlistening-ip=127.0.0.1\n"
        f"relay-ip=127.0.0.1\nrelay-ip=::1\nno-tls\nno-dtls\nuserdb={workdir / 'turndb'}\nlog-file=stdout\n"
    )
    (workdir / "turnserver.conf").write_text(conf)
    log = (workdir / "turnserver.log").open("wb")
    process = subprocess.Popen([binary, "-c", str(workdir / "turnserver.conf")], stdout=log, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    if process.poll() is not None:
        pytest.fail(f"turnserver exited at once:\n{(workdir / 'turnserver.log').read_text()}")
    try:
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def client(server: tuple[str, int], handle: str) -> TurnClient:
    """A fresh credential for ``handle``, as /api/ice hands out (relays outlive a closed socket,
    so each test's quota starts at zero)."""
    username = f"{int(time.time()) + 3600}:{handle}_{secrets.token_hex(3)}"
    return TurnClient(server, username, rest_credential(SECRET, username))


def test_one_credential_holds_at_most_its_quota_of_relays(coturn):
    first = client(coturn, "hoarder")
    clients = [first] + [TurnClient(coturn, first.username, first.password) for _ in range(12)]
    try:
        answers = [c.allocate()[0] for c in clients]
        assert answers == [0] * 12 + [486], answers  # 486: Allocation Quota Reached
        other = client(coturn, "someone-else")
        assert other.allocate()[0] == 0, "one person's quota held up another"
        other.close()
    finally:
        for c in clients:
            c.close()


def test_a_wrong_credential_gets_no_relay(coturn):
    c = TurnClient(coturn, f"{int(time.time()) + 3600}:mallory", "not-the-password")
    try:
        assert c.allocate()[0] == 401
    finally:
        c.close()


@pytest.mark.parametrize(
    "peer",
    ["10.1.2.3", "172.16.0.9", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1", "0.0.0.0"],
)
def test_no_relay_into_private_ipv4(coturn, peer):
    c = client(coturn, "alice")
    try:
        assert c.allocate()[0] == 0
        assert c.permit("203.0.113.7")[0] == 0, "a public peer must be allowed (else this test proves nothing)"
        assert c.permit(peer)[0] == 403, f"coturn would relay to {peer}"
    finally:
        c.close()


@pytest.mark.parametrize(
    "peer",
    ["::1", "fd12:3456::1", "fc00::9", "fe80::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "ff02::1"],
)
def test_no_relay_into_private_ipv6(coturn, peer):
    c = client(coturn, "alice")
    try:
        assert c.allocate(ipv6=True)[0] == 0
        assert c.permit("2001:db8::7")[0] == 0, "a public peer must be allowed (else this test proves nothing)"
        assert c.permit(peer)[0] == 403, f"coturn would relay to {peer}"
    finally:
        c.close()
