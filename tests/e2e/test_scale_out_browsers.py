"""The core of the social scenario with each browser on a different server process.

Two server processes, one daphne (what `make run` serves) and one as the image runs it
(deploy/Dockerfile's CMD), share PostgreSQL (this machine's, through its unix socket: the browser
tests run in a network namespace, where 127.0.0.1 is the namespace's own) and a Redis server
(one this test starts on a unix socket, for the same reason). alice's browser talks to one
process, bob's to the other; they befriend and a post syncs, so signaling, presence and relay
all cross processes.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e import ui
from tests.e2e.harness import TIMEOUT_MS, BrowserLog, LiveServer, User, sign_up, unique_handle
from tests.services import need_postgresql, skip_or_fail

POSTGRES_SOCKET_DIR = "/var/run/postgresql"


@pytest.fixture(scope="module")
def postgres_over_socket() -> Iterator[str]:
    """A fresh database on this machine's PostgreSQL, reached through its unix socket."""
    url = need_postgresql()
    if not Path(POSTGRES_SOCKET_DIR, ".s.PGSQL.5432").exists():
        skip_or_fail(f"no PostgreSQL unix socket in {POSTGRES_SOCKET_DIR}")
    user = urllib.parse.urlsplit(url).username or "postgres"
    admin_url = f"postgresql://{user}@/postgres?host={POSTGRES_SOCKET_DIR}"
    name = f"peerwall_e2e_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@/{name}?host={POSTGRES_SOCKET_DIR}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_over_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
    workdir = tmp_path_factory.mktemp("redis")
    sock = workdir / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while not sock.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    try:
        yield f"unix://{sock}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def two_processes(postgres_over_socket, redis_over_socket, tmp_path_factory) -> Iterator[tuple[str, str]]:
    env = {"DATABASE_URL": postgres_over_socket, "REDIS_URL": redis_over_socket}
    a = LiveServer.start(tmp_path_factory.mktemp("process-a"), env=env)
    try:
        b = LiveServer.start(tmp_path_factory.mktemp("process-b"), env=env, deployed=True)
        try:
            yield a.url, b.url
        finally:
            b.stop()
    finally:
        a.stop()


def _user(browser: Browser, base_url: str, name: str, log: BrowserLog) -> User:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    handle = unique_handle(name)
    log.watch_context(context, f"{name} @{handle}")
    page = sign_up(context, base_url, handle, shots=f"scale-out-{name}")
    return User(handle, "", context, page)


def test_friends_on_different_processes_befriend_and_sync(browser: Browser, two_processes, browser_log: BrowserLog):
    url_a, url_b = two_processes
    assert url_a != url_b
    alice = _user(browser, url_a, "alice", browser_log)
    bob = _user(browser, url_b, "bob", browser_log)
    try:
        ui.expect_online(alice.page)
        ui.expect_online(bob.page)
        ui.befriend(alice, bob)  # request, accept and presence all cross processes
        ui.open_wall(alice.page, alice.handle, me=alice.handle)
        ui.post(alice.page, alice.handle, "Hello from process A")
        ui.open_wall(bob.page, alice.handle, me=bob.handle)
        expect(ui.post_article(bob.page, alice.handle, "Hello from process A")).to_be_visible(timeout=ui.PEER_MS)
        # And back: bob writes on alice's wall from process B; alice (on A) gets it delivered.
        article = ui.post(bob.page, alice.handle, "Hello back from process B")
        expect(article).not_to_contain_text("pending", timeout=ui.PEER_MS)
        ui.open_wall(alice.page, alice.handle, me=alice.handle)
        expect(ui.post_article(alice.page, alice.handle, "Hello back from process B")).to_be_visible(timeout=ui.PEER_MS)
    finally:
        alice.context.close()
        bob.context.close()
