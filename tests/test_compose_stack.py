"""`docker compose up`, for real: deploy/ built and started on a Docker engine, used by browsers.

What runs is deploy/compose.yaml with the images deploy/Dockerfile builds: the migrations, two
app replicas, PostgreSQL, Redis, coturn and Caddy. Browsers reach it the way users do, through
Caddy over HTTPS (its own internal CA, as it issues for a ``.localhost`` name). The test then:

a. signs two people up in two Chromium browsers, each one's signaling WebSocket on a different
   app replica, befriends them and syncs a post between them;
b. opens a relay-only (``iceTransportPolicy: "relay"``) data channel through the compose coturn,
   with the credentials the app's /api/ice hands out;
c. restarts the app replicas (`compose restart app`): no account is lost, and the open apps
   reconnect by themselves (the app says "Online" again, and the friends show online);
d. backs the accounts database up and restores it into an empty one, with deploy/README.md's
   own commands.

It prints the app image's size and the stack's cold start (from `up` until Caddy answers /healthz
over HTTPS). Everything it started is removed at the end (`compose down -v`), pass or fail; the
images stay, as a build cache for the next run.

Where this machine differs from an admin's (tests/compose/README.md says more):
- No image registry: tests/compose/build-standins.sh builds any missing base image (python, node,
  postgres, redis, coturn, caddy, debian) as a stand-in from Debian's packages; where the official
  images are present, they are used as they are.
- No PyPI or npm inside containers: deploy/Dockerfile's mirror ``ARG``s point pip and npm at a
  read-only mirror on this host (tests/compose/mirror.py) that passes requests to the real indexes.
- Caddy's ports are published on 127.0.0.1 only (on free ports), and coturn (host networking)
  listens and relays on 127.0.0.1 only, with loopback peers allowed, since both browsers are here.

Without a Docker engine this test skips, saying why; under REQUIRE_SERVICES=1 or CI it fails.
Measured on a 2-core machine: cold (no image at all: debootstrap, stand-ins, app image) about
3 minutes 40 s; warm (images cached) about 1 minute 30 s.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from signaling.ownership import owner_of
from tests.compose.mirror import BUILD_ARGS, PORT, PackageMirror
from tests.e2e import ui
from tests.e2e.harness import (
    CHROMIUM_ARGS,
    PASSWORD,
    PEERJS_CLIENT,
    User,
    find_chromium,
    log_in,
    sign_up,
    unique_handle,
)
from tests.e2e.peer_js import RELAY_CALL
from tests.services import skip_or_fail
from tests.test_deploy import _instructions

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BUILD_STANDINS = ROOT / "tests" / "compose" / "build-standins.sh"
# What the last run measured (also printed, seen with -s).
FIGURES = ROOT / "test-results" / "compose-stack.json"
# A fixed tag of its own (never the admins' peerwall:latest): a later run reuses its layers.
APP_IMAGE = "peerwall-compose-test:latest"
# Caddy issues a certificate from its own internal CA for a .localhost name, and Chromium
# resolves every .localhost name to the loopback address by itself.
DOMAIN = "peerwall.localhost"
CADDY_CA = "/data/caddy/pki/authorities/local"
# turnserver.conf's relay port range.
RELAY_PORTS = range(49160, 49461)
BUILD_SECONDS = 900
START_SECONDS = 240
# Reconnecting after the replicas restart: the app's back-off, plus the replicas' start.
RECONNECT_MS = 90_000

# The coturn command of deploy/compose.yaml, and what this machine adds to it: both browsers and
# coturn are on this host's loopback, which turnserver.conf (rightly) refuses to relay to.
COTURN_COMMAND = [
    "-c",
    "/etc/coturn/turnserver.conf",
    "--static-auth-secret=${TURN_SECRET}",
    "--realm=${PEERWALL_DOMAIN}",
]
COTURN_HERE = [
    "--listening-ip=127.0.0.1",
    "--relay-ip=127.0.0.1",
    "--allow-loopback-peers",
    "--allowed-peer-ip=127.0.0.1",
    "--log-file=stdout",
]


# --- the engine and the compose command --------------------------------------------------------


def _run(argv: list[str], timeout: float = 120, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{shlex.join(argv)} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def docker_engine_answers() -> str | None:
    """None when `docker info` answers, else why not."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed (apt-get install docker.io)"
    try:
        result = _run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if result.returncode != 0:
        return f"no Docker engine answers `docker info` (start dockerd): {result.stderr.strip()[:300]}"
    return None


def compose_command() -> list[str] | None:
    """`docker compose` (the v2 plugin) where it exists, else `docker-compose` (v1)."""
    for argv in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(argv[0]) is None:
            continue
        with contextlib.suppress(subprocess.TimeoutExpired):
            if _run([*argv, "version"], timeout=30, check=False).returncode == 0:
                return argv
    return None


def bridge_gateway() -> str:
    """The address of this host on Docker's default bridge, where build containers reach it."""
    inspect = json.loads(_run(["docker", "network", "inspect", "bridge"]).stdout)[0]
    config = inspect["IPAM"]["Config"][0]
    if config.get("Gateway"):
        return config["Gateway"].split("/")[0]
    network, _, _ = config["Subnet"].partition("/")
    a, b, c, d = (int(x) for x in network.split("."))
    return f"{a}.{b}.{c}.{d + 1}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_subnet() -> tuple[str, str]:
    """A /24 no Docker network uses, and Caddy's fixed address in it."""
    used = set()
    for network in _run(["docker", "network", "ls", "-q"]).stdout.split():
        for config in json.loads(_run(["docker", "network", "inspect", network]).stdout)[0]["IPAM"]["Config"] or []:
            used.add(config.get("Subnet", ""))
    for _ in range(50):
        third = secrets.randbelow(250) + 1
        subnet = f"172.29.{third}.0/24"
        if subnet not in used:
            return subnet, f"172.29.{third}.10"
    raise AssertionError("no free 172.29.x.0/24 subnet for the compose network")


# --- the project: a copy of the repository with deploy/.env for this run ------------------------


def copy_project(destination: Path) -> None:
    """The repository's files (tracked, and new ones not ignored) as the build context."""
    listed = _run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def publish_on_loopback(compose_yaml: Path, http_port: int, https_port: int) -> None:
    """Caddy's ports on 127.0.0.1 only. compose v1 appends an override's ports to the file's (v2
    could `!override` them), so the copy's three port lines are rewritten; nothing else changes."""
    text = compose_yaml.read_text()
    for old, new in (
        ('- "80:80"', f'- "127.0.0.1:{http_port}:80"'),
        ('- "443:443"\n', f'- "127.0.0.1:{https_port}:443"\n'),
        ('- "443:443/udp"', f'- "127.0.0.1:{https_port}:443/udp"'),
    ):
        assert text.count(old) == 1, f"deploy/compose.yaml no longer publishes {old!r}: update this test"
        text = text.replace(old, new)
    compose_yaml.write_text(text)


def write_override(path: Path, build_args: dict[str, str]) -> None:
    base = (DEPLOY / "compose.yaml").read_text()
    assert f"command: {json.dumps(COTURN_COMMAND)}" in base, "coturn's command in deploy/compose.yaml changed"
    app = {"image": APP_IMAGE, "build": {"args": build_args}}
    override = {"services": {"migrate": app, "app": app, "coturn": {"command": COTURN_COMMAND + COTURN_HERE}}}
    path.write_text(json.dumps(override, indent=2))  # JSON is YAML


def _squeeze(command: str) -> str:
    return " ".join(command.split())


def _stages() -> dict[str, list[tuple[str, str]]]:
    """deploy/Dockerfile's instructions by stage name."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, args in _instructions((DEPLOY / "Dockerfile").read_text()):
        if word == "FROM":
            current = stages.setdefault(args.split()[-1], [])
        current.append((word, args))
    return stages


def _stage_runs(stage: str) -> list[str]:
    return [_squeeze(args) for word, args in _stages()[stage] if word == "RUN"]


def test_a_mirror_build_runs_the_ordinary_builds_own_commands():
    """deploy/Dockerfile has one path: the mirror ARGs are environment for pip and npm, nothing else.

    They have no default (an ordinary build sets none, and Docker then leaves them out of the
    environment altogether), no instruction names them (no branch, no other command), and each
    is declared in the stage whose tool reads it, before that tool's one install command, which
    is the Makefile's own (tests/test_deploy.py). So a build with the mirror and one without run
    the same commands, word for word; the stack test checks the built image's history too.
    """
    stages = _stages()
    declared = {}
    for stage, instructions in stages.items():
        for index, (word, args) in enumerate(instructions):
            if word == "ARG":
                assert "=" not in args, f"ARG {args} has a default: an ordinary build would set it"
                declared[args] = (stage, index)
            else:
                for name in BUILD_ARGS:
                    assert name not in args, f"{word} {args} uses {name}: the two builds would differ"
    assert set(declared) == set(BUILD_ARGS)
    for name, tool in BUILD_ARGS.items():
        stage, index = declared[name]
        install = {"npm": "npm ci --no-audit --no-fund", "pip": "pip install --no-cache-dir ."}[tool]
        later = [args for word, args in stages[stage][index:] if word == "RUN"]
        assert later and later[0] == install, f"{name} is not declared right before `{install}`"


# --- HTTPS through Caddy -----------------------------------------------------------------------


class _LoopbackHTTPS(http.client.HTTPSConnection):
    """HTTPS to DOMAIN (SNI, certificate check, Host header) on 127.0.0.1."""

    def __init__(self, port: int, context: ssl.SSLContext) -> None:
        super().__init__(DOMAIN, port, context=context, timeout=5)
        self.tls = context

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def https_get(port: int, path: str, cafile: Path) -> tuple[int, bytes]:
    context = ssl.create_default_context(cafile=str(cafile))
    connection = _LoopbackHTTPS(port, context)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def spki_sha256(pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    compose: list[str]
    project: str
    workdir: Path
    https_port: int
    env: dict[str, str]
    cafile: Path
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def src(self) -> Path:
        return self.workdir / "src"

    @property
    def url(self) -> str:
        return f"https://{DOMAIN}:{self.https_port}"

    def argv(self, *args: str) -> list[str]:
        return [
            *self.compose,
            "-p",
            self.project,
            "--env-file",
            "deploy/.env",
            "-f",
            "deploy/compose.yaml",
            "-f",
            "deploy/compose.test.yaml",
            *args,
        ]

    @property
    def shell_env(self) -> dict[str, str]:
        """This process's environment without what would override deploy/.env in compose's
        interpolation (a variable of the shell wins over the --env-file's) or pick other files."""
        return {k: v for k, v in os.environ.items() if k not in self.env and not k.startswith("COMPOSE_")}

    def run(self, *args: str, timeout: float = 120, check: bool = True, **kwargs) -> subprocess.CompletedProcess[str]:
        return _run(self.argv(*args), timeout=timeout, check=check, cwd=self.src, env=self.shell_env, **kwargs)

    def logs(self, *services: str) -> str:
        with contextlib.suppress(Exception):
            return self.run("logs", "--no-color", "--tail", "60", *services, check=False).stdout
        return ""

    def redis(self, *args: str) -> str:
        return self.run("exec", "-T", "redis", "redis-cli", "--raw", *args).stdout

    def health(self) -> tuple[int, dict]:
        status, body = https_get(self.https_port, "/healthz", self.cafile)
        return status, json.loads(body) if status == 200 else {}

    def wait_healthy(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        last: object = None
        while time.monotonic() < deadline:
            try:
                status, body = self.health()
                if status == 200 and body.get("status") == "ok":
                    return
                last = (status, body)
            except (OSError, ssl.SSLError, ValueError) as error:
                last = error
            time.sleep(0.5)
        raise AssertionError(f"Caddy did not answer /healthz with ok over HTTPS in {seconds:.0f} s: {last}")

    def location(self, handle: str) -> tuple[str, str] | None:
        """(the server process's channel, the connection id) holding ``handle``'s WebSocket.

        The broker keeps ``peerwall:peer:<route key>`` in Redis for each connected peer id: its
        process's one channel layer channel (signaling/inbox.py, a fresh name per process),
        its PeerJS id and the connection's number in that process. The app connects as
        ``handle-device`` (one browser per handle here), or as the bare handle.
        """
        for key in self.redis("--scan", "--pattern", "peerwall:peer:*").split():
            channel, peer_id, connection = [*self.redis("GET", key).rstrip("\n").split("\n"), "", ""][:3]
            if owner_of(peer_id) == handle:
                return channel, connection
        return None


def _standins_and_image(stack: Stack) -> dict[str, str]:
    figures = {}
    started = time.monotonic()
    result = _run([str(BUILD_STANDINS)], timeout=BUILD_SECONDS, check=False)
    assert result.returncode == 0, f"building the stand-in base images failed:\n{result.stderr[-3000:]}"
    figures["stand-in base images"] = f"{time.monotonic() - started:.0f} s"
    started = time.monotonic()
    result = stack.run("build", "migrate", timeout=BUILD_SECONDS, check=False)
    assert result.returncode == 0, (
        f"building deploy/Dockerfile failed:\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
    )
    figures["app image build"] = f"{time.monotonic() - started:.0f} s"
    return figures


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    reason = docker_engine_answers()
    if reason:
        skip_or_fail(reason)
    compose = compose_command()
    if compose is None:
        skip_or_fail("neither `docker compose` nor `docker-compose` works (apt-get install docker-compose)")
    if find_chromium() is None:
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    if not PEERJS_CLIENT.exists():
        pytest.fail(f"{PEERJS_CLIENT.relative_to(ROOT)} is missing: run `make install` first", pytrace=False)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", 3478))
        except OSError:
            pytest.fail("127.0.0.1:3478/udp is taken: the compose coturn (host networking) needs it", pytrace=False)

    workdir = tmp_path_factory.mktemp("compose")
    src = workdir / "src"
    copy_project(src)
    http_port, https_port = free_port(), free_port()
    publish_on_loopback(src / "deploy" / "compose.yaml", http_port, https_port)
    subnet, proxy_ip = free_subnet()
    env = {
        "PEERWALL_DOMAIN": DOMAIN,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "TURN_SECRET": secrets.token_urlsafe(24),
        "DEBUG": "0",
        "LOG_FORMAT": "json",
        "PEERWALL_SUBNET": subnet,
        "PEERWALL_PROXY_IP": proxy_ip,
    }
    (src / "deploy" / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    stack = Stack(compose, f"pwtest{secrets.token_hex(4)}", workdir, https_port, env, workdir / "caddy-root.crt")

    try:
        with PackageMirror(bridge_gateway(), PORT) as mirror:
            write_override(src / "deploy" / "compose.test.yaml", mirror.build_args)
            stack.figures.update(_standins_and_image(stack))
        assert not mirror.failures, mirror.failures
        # The image holds the Dockerfile's own RUN commands, word for word: the mirror came in
        # through pip's environment only (`|2 PIP_INDEX_URL=… PIP_TRUSTED_HOST=… /bin/sh -c …`).
        history = _run(["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", APP_IMAGE]).stdout
        ran = {_squeeze(line.split("/bin/sh -c ", 1)[1]) for line in history.splitlines() if "/bin/sh -c " in line}
        for command in _stage_runs("app"):
            assert command in ran, f"the built image did not run {command!r}: {sorted(ran)}"
        size = int(_run(["docker", "image", "inspect", "-f", "{{.Size}}", APP_IMAGE]).stdout)
        base = int(_run(["docker", "image", "inspect", "-f", "{{.Size}}", "python:3.11-slim-bookworm"]).stdout)
        label = '{{index .Config.Labels "org.peerwall.standin"}}'
        standin = _run(["docker", "image", "inspect", "-f", label, "python:3.11-slim-bookworm"]).stdout.strip()
        kind = "a Debian stand-in" if standin == "1" else "the official image"
        stack.figures["app image size"] = (
            f"{size / 1e6:.0f} MB, of which {(size - base) / 1e6:.0f} MB are the app's own layers on "
            f"python:3.11-slim-bookworm ({kind}, {base / 1e6:.0f} MB)"
        )

        started = time.monotonic()
        up = stack.run("up", "-d", timeout=START_SECONDS, check=False)
        assert up.returncode == 0, f"compose up failed:\n{up.stdout}\n{up.stderr}\n{stack.logs()}"
        deadline = time.monotonic() + 60
        while True:  # Caddy writes its CA on first start
            root = stack.run("exec", "-T", "caddy", "cat", f"{CADDY_CA}/root.crt", check=False)
            if root.returncode == 0 and "BEGIN CERTIFICATE" in root.stdout:
                stack.cafile.write_text(root.stdout)
                break
            assert time.monotonic() < deadline, f"Caddy wrote no root certificate:\n{stack.logs('caddy')}"
            time.sleep(0.5)
        stack.wait_healthy(START_SECONDS)
        stack.figures["cold start (up -d until /healthz over HTTPS)"] = f"{time.monotonic() - started:.1f} s"
        yield stack
    finally:
        print("\n" + "\n".join(f"compose stack: {k}: {v}" for k, v in stack.figures.items()))
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        FIGURES.write_text(json.dumps(stack.figures, indent=2) + "\n")
        with contextlib.suppress(Exception):
            stack.run("down", "-v", "--remove-orphans", "--timeout", "5", timeout=180, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


# --- the browsers ------------------------------------------------------------------------------

# A PeerJS client of its own, on the same origin as the app (the page is /api/ice, which runs
# none of our scripts), forced to relay through TURN.
RELAY_PEER = """
async ({ id }) => {
  const { iceServers } = await (await fetch("/api/ice", { credentials: "same-origin" })).json();
  const config = { iceServers, iceTransportPolicy: "relay" };
  const where = { host: location.hostname, port: Number(location.port), path: "/", secure: true };
  const peer = new peerjs.Peer(id, { ...where, config });
  window.lab = { peer };
  await new Promise((resolve, reject) => { peer.on("open", resolve); peer.on("error", reject); });
  window.lab.inbox = new Promise((resolve) => {
    peer.on("connection", (conn) => conn.on("data", (data) => { conn.send("pong"); resolve(data); }));
  });
  return iceServers;
}
"""


@pytest.fixture(scope="module")
def browsers(stack: Stack) -> Iterator[tuple[Browser, Browser]]:
    """Two Chromium processes that trust Caddy's CA (and nothing else they would not)."""
    ca = stack.run("exec", "-T", "caddy", "cat", f"{CADDY_CA}/root.crt", f"{CADDY_CA}/intermediate.crt").stdout
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", ca, re.S)
    # Chromium accepts a certificate whose chain holds one of these keys: the root Caddy made
    # for this stack and the intermediate it signs with (only the intermediate is served).
    spkis = ",".join(spki_sha256(pem) for pem in pems)
    args = [
        *CHROMIUM_ARGS,
        f"--ignore-certificate-errors-spki-list={spkis}",
        f"--host-resolver-rules=MAP {DOMAIN} 127.0.0.1",
    ]
    with sync_playwright() as playwright:
        launched = [
            playwright.chromium.launch(executable_path=find_chromium(), headless=True, args=args) for _ in range(2)
        ]
        try:
            yield launched[0], launched[1]
        finally:
            for browser in launched:
                browser.close()


def new_user(browser: Browser, stack: Stack, name: str, **options) -> User:
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(30_000)
    handle = unique_handle(name)
    page = sign_up(context, stack.url, handle, timeout_ms=30_000)
    return User(handle, PASSWORD, context, page)


def pin_to_another_replica(stack: Stack, user: User, other: tuple[str, str]) -> tuple[str, str]:
    """Reloads ``user``'s app until its WebSocket is on another server process than ``other``.

    Caddy balances round robin over the replicas; each reload makes several requests, and one
    request in between (GET /healthz from here) shifts which replica the WebSocket lands on.
    """
    for attempt in range(10):
        ui.expect_online(user.page)
        here = _located(stack, user.handle)
        if here[0] != other[0]:
            stack.figures["reloads to put bob on the other replica"] = str(attempt)
            return here
        if attempt % 2:
            stack.health()
        user.page.reload()
        _located(stack, user.handle, not_connection=here)
    raise AssertionError(f"@{user.handle}'s WebSocket stayed on the same replica as the other's in 10 reloads")


def _located(
    stack: Stack, handle: str, not_connection: tuple[str, str] | None = None, seconds: float = 30
) -> tuple[str, str]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        where = stack.location(handle)
        if where is not None and where != not_connection:
            return where
        time.sleep(0.3)
    raise AssertionError(f"@{handle} has no (new) location in Redis: its WebSocket is not connected")


def test_the_stack_serves_browsers_through_caddy_relays_and_survives_a_restart(
    stack: Stack, browsers: tuple[Browser, Browser], tmp_path: Path
):
    browser_a, browser_b = browsers
    contexts: list[BrowserContext] = []
    try:
        # The replicas: two containers of the app, each one uvicorn process (the image's CMD).
        replicas = stack.run("ps", "-q", "app").stdout.split()
        assert len(replicas) == 2, f"expected 2 app replicas, found {replicas}"

        # a. Two browsers, each on its own replica, befriend and sync a post.
        alice = new_user(browser_a, stack, "alice")
        contexts.append(alice.context)
        ui.expect_online(alice.page)
        bob = new_user(browser_b, stack, "bob")
        contexts.append(bob.context)
        alice_at = _located(stack, alice.handle)
        bob_at = pin_to_another_replica(stack, bob, alice_at)
        # Verified where the broker itself records it: each connected handle's location in Redis
        # names its server process's channel; two different channels are two processes, and each
        # replica runs exactly one (no --workers), so alice and bob are on different replicas.
        assert alice_at[0] != bob_at[0]
        ui.befriend(alice, bob)
        ui.open_wall(alice.page, alice.handle, me=alice.handle)
        ui.post(alice.page, alice.handle, "Hello from replica one")
        ui.open_wall(bob.page, alice.handle, me=bob.handle)
        expect(ui.post_article(bob.page, alice.handle, "Hello from replica one")).to_be_visible(timeout=ui.PEER_MS)
        # Still on different replicas once the post has synced (nothing reconnected meanwhile).
        assert _located(stack, alice.handle) == alice_at and _located(stack, bob.handle) == bob_at

        # b. A relay-only data channel through the compose coturn, credentials from /api/ice.
        peers = []
        for browser, name in ((browser_a, "carol"), (browser_b, "dave")):
            user = new_user(browser, stack, name, bypass_csp=True)
            contexts.append(user.context)
            user.page.goto(f"{stack.url}/api/ice")  # the app page leaves: its handle is free
            user.page.add_script_tag(path=str(PEERJS_CLIENT))
            peers.append(user)
        carol, dave = peers
        ice = carol.page.evaluate(RELAY_PEER, {"id": carol.handle})
        turn = [server for server in ice if any(u.startswith("turn:") for u in server["urls"])]
        assert turn and f"turn:{DOMAIN}:3478?transport=udp" in turn[0]["urls"], ice
        dave.page.evaluate(RELAY_PEER, {"id": dave.handle})
        result = carol.page.evaluate(RELAY_CALL, {"to": dave.handle, "timeoutMs": 45_000})
        assert result["reply"] == "pong", result
        assert result["local"]["type"] == "relay" and result["remote"]["type"] == "relay", result
        # A relay address from turnserver.conf's range: the compose coturn relayed it.
        assert result["local"]["address"] == "127.0.0.1" and result["local"]["port"] in RELAY_PORTS, result
        assert dave.page.evaluate("() => window.lab.inbox") == "ping"

        # c. Both replicas restart: accounts stay, the open apps reconnect by themselves.
        users_before = _accounts(stack)
        assert {alice.handle, bob.handle, carol.handle, dave.handle} <= users_before
        stack.run("restart", "app", timeout=180)
        stack.wait_healthy(120)
        # New connections, from new server processes: the apps reconnected by themselves.
        for user, before in ((alice, alice_at), (bob, bob_at)):
            after = _located(stack, user.handle, not_connection=before, seconds=RECONNECT_MS / 1000)
            assert after[0] not in (alice_at[0], bob_at[0]), f"@{user.handle} is still on a process from before"
        for user, friend in ((alice, bob), (bob, alice)):
            ui.expect_online(user.page, timeout=RECONNECT_MS)
            ui.expect_friend(user.page, friend.handle, timeout=RECONNECT_MS)
        assert _accounts(stack) == users_before
        again = browser_a.new_context()
        contexts.append(again)
        # A new browser: the account logs in, and the app asks how to bring carol's key here.
        log_in(_settled(again.new_page(), stack.url), stack.url, carol.handle, setup=True, timeout_ms=30_000)

        # d. deploy/README.md's backup, then its restore into an empty database, its own commands.
        backup = _readme_command(stack, r"^docker compose .* pg_dump .*> peerwall-accounts\.sql$")
        result = subprocess.run(
            backup, shell=True, cwd=stack.src, env=stack.shell_env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{backup}\n{result.stderr}"
        dump = (stack.src / "peerwall-accounts.sql").read_bytes()
        assert b"CREATE TABLE public.auth_user" in dump and b"\r\n" not in dump
        stack.run("stop", "caddy", "app", timeout=120)
        stack.run("rm", "-f", "-s", "db", "migrate", timeout=120)
        _run(["docker", "volume", "rm", f"{stack.project}_pgdata"])
        stack.run("up", "-d", "--no-deps", "db", timeout=120)
        _wait_db(stack)
        assert _accounts(stack) == set(), "the new database is not empty"
        restore = _readme_command(stack, r"^docker compose .* psql .*< peerwall-accounts\.sql$")
        result = subprocess.run(
            restore, shell=True, cwd=stack.src, env=stack.shell_env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0 and "ERROR" not in result.stderr, f"{restore}\n{result.stderr}"
        stack.run("up", "-d", timeout=START_SECONDS)
        stack.wait_healthy(120)
        assert _accounts(stack) == users_before
        restored = browser_b.new_context()
        contexts.append(restored)
        log_in(_settled(restored.new_page(), stack.url), stack.url, alice.handle, setup=True, timeout_ms=30_000)
    except BaseException:
        print(stack.logs())
        raise
    finally:
        for context in contexts:
            with contextlib.suppress(Exception):
                context.close()


def _settled(page: Page, url: str, tries: int = 10) -> Page:
    """The page once a navigation to ``url`` gets through.

    ``docker compose up`` adds network interfaces, and Chromium aborts a navigation under way
    when it sees one come (ERR_NETWORK_CHANGED): that is the host's doing, not the stack's.
    """
    for attempt in range(tries):
        try:
            page.goto(f"{url}/accounts/login/", timeout=30_000)
            return page
        except PlaywrightError as error:
            if "ERR_NETWORK_CHANGED" not in str(error) or attempt == tries - 1:
                raise
            page.wait_for_timeout(1_000)
    return page


def _psql(stack: Stack, sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return stack.run("exec", "-T", "db", "psql", "-U", "peerwall", "-d", "peerwall", "-AtX", "-c", sql, check=check)


def _accounts(stack: Stack) -> set[str]:
    result = _psql(stack, "SELECT username FROM auth_user", check=False)
    if result.returncode != 0:
        assert 'relation "auth_user" does not exist' in result.stderr, result.stderr
        return set()
    return set(result.stdout.split())


def _wait_db(stack: Stack) -> None:
    deadline = time.monotonic() + 60
    while stack.run("exec", "-T", "db", "pg_isready", "-U", "peerwall", "-d", "peerwall", check=False).returncode:
        assert time.monotonic() < deadline, stack.logs("db")
        time.sleep(0.5)


def _readme_command(stack: Stack, pattern: str) -> str:
    """deploy/README.md's command matching ``pattern``, for this run's project and compose."""
    readme = (DEPLOY / "README.md").read_text()
    found = [line for line in readme.splitlines() if re.match(pattern, line)]
    assert len(found) == 1, f"deploy/README.md has no single command matching {pattern}"
    command = found[0].removeprefix("docker compose ")
    command = command.replace("-p peerwall ", f"-p {stack.project} ", 1)
    return f"{shlex.join(stack.compose)} {command}"
