"""Two server processes as the image runs them (deploy/Dockerfile's CMD) relay to each other through
the real Redis, with the accounts in the real PostgreSQL.

Clients on each process (real WebSockets, sessions made by the real sign-up page) exchange
PeerJS frames, hear EXPIRE for friends connected nowhere, hear presence across processes, and
one connection per peer id holds across processes while one handle's devices coexist. A
connection that only sends HEARTBEATs stays reachable from the other process long past the
directory's TTL; a killed process leaves no ghosts once its entries expire.
"""

import asyncio
import http.cookiejar
import json
import re
import secrets
import signal
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import redis
import websockets

from signaling.directory import RedisDirectory
from signaling.ownership import route_key
from tests.e2e.harness import LiveServer
from tests.services import need, need_postgresql

pytestmark = pytest.mark.services
PASSWORD = "correct horse battery staple"
PRESENCE_TTL = 3


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the configured server, dropped afterwards."""
    url = need_postgresql()
    name = f"peerwall_scale_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(url)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def servers(pg_database, tmp_path_factory) -> Iterator[list[LiveServer]]:
    redis_url = need("REDIS_URL", "Redis")
    env = {"DATABASE_URL": pg_database, "REDIS_URL": redis_url, "SIGNALING_PRESENCE_TTL": str(PRESENCE_TTL)}
    started: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path_factory.mktemp(f"server-{name}")
            started.append(LiveServer.start(workdir, env=env, deployed=True))
        yield started
    finally:
        for server in started:
            server.stop()


@dataclass
class Account:
    handle: str
    cookie: str


def sign_up(server: LiveServer, name: str) -> Account:
    """Signs up through the real page (CSRF and all); returns the session cookie."""
    handle = f"{name}_{secrets.token_hex(3)}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), urllib.request.ProxyHandler({}))
    page = opener.open(f"{server.url}/accounts/signup/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": handle, "password1": PASSWORD, "password2": PASSWORD}
    ).encode()
    landed = opener.open(f"{server.url}/accounts/signup/", data=form, timeout=10)
    assert landed.url.endswith("/app/"), landed.url
    session = next(c.value for c in jar if c.name == "sessionid")
    return Account(handle, f"sessionid={session}")


async def connect(server: LiveServer, account: Account, device: str = ""):
    """A socket of ``account`` as its handle, or as its device ``handle-device``."""
    peer_id = f"{account.handle}-{device}" if device else account.handle
    ws_url = server.url.replace("http://", "ws://") + f"/peerjs?key=peerjs&id={peer_id}&token=t"
    ws = await websockets.connect(
        ws_url, additional_headers={"Cookie": account.cookie, "Origin": server.url}, proxy=None
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "OPEN"}
    return ws


async def receive(ws, seconds: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), seconds))


async def nothing(ws, seconds: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


def offer(dst: str, n: int = 1) -> str:
    return json.dumps({"type": "OFFER", "dst": dst, "payload": {"connectionId": f"dc_{n}", "sdp": {"type": "offer"}}})


HEARTBEAT = '{"type":"HEARTBEAT"}'  # what the PeerJS client sends every 5 s, byte for byte


def watch(*handles: str) -> str:
    return json.dumps({"type": "WATCH", "payload": {"handles": list(handles)}})


async def befriend(wa, a: Account, wb, b: Account) -> None:
    """a and b watch each other (as friends' apps do), and each hears that the other is online."""
    await wa.send(watch(b.handle))
    assert await nothing(wa)  # b does not watch a yet: a learns nothing
    await wb.send(watch(a.handle))
    assert (await receive(wa))["payload"] == {"handle": b.handle, "online": True}
    assert (await receive(wb))["payload"] == {"handle": a.handle, "online": True}


def directory_entry_ttl(handle: str, entry=RedisDirectory._where) -> int:
    """Seconds until the Redis directory forgets where ``handle`` is connected (-2: it has no entry).

    ``entry=RedisDirectory._watching``: the same for the list of handles it watches.
    """
    client = redis.Redis.from_url(need("REDIS_URL", "Redis"))
    try:
        return client.ttl(entry(route_key(handle)))
    finally:
        client.close()


def test_frames_cross_processes_with_src_stamped(servers):
    a, b = servers
    alice, bob = sign_up(a, "alice"), sign_up(b, "bob")

    async def scenario():
        wa, wb = await connect(a, alice), await connect(b, bob)
        await wa.send(offer(bob.handle))
        got = await receive(wb)
        assert got["type"] == "OFFER" and got["src"] == alice.handle and got["dst"] == bob.handle
        answer = {"type": "ANSWER", "dst": alice.handle, "src": "mallory", "payload": {"connectionId": "dc_1"}}
        await wb.send(json.dumps(answer))
        assert (await receive(wa))["src"] == bob.handle
        await wa.close()
        await wb.close()

    asyncio.run(scenario())


def test_expire_for_a_friend_connected_to_no_process(servers):
    a, b = servers
    alice, carol = sign_up(a, "alice"), sign_up(b, "carol")

    async def scenario():
        wa, wc = await connect(a, alice), await connect(b, carol)
        await befriend(wa, alice, wc, carol)
        await wc.close()  # carol leaves process b
        assert (await receive(wa))["payload"] == {"handle": carol.handle, "online": False}
        await wa.send(offer(carol.handle))
        assert await receive(wa, 2) == {"type": "EXPIRE", "src": carol.handle, "dst": alice.handle}
        await wa.close()

    asyncio.run(scenario())


def test_a_connection_sending_only_heartbeats_stays_reachable_past_the_presence_ttl(servers):
    """Its directory entry is refreshed by the frames it sends, so it never expires while it lives.

    alice is on process a and bob on process b: a's switchboard does not hold bob, so every frame
    alice sends him is located through the Redis directory, whose entries live PRESENCE_TTL s.
    """
    a, b = servers
    alice, bob = sign_up(a, "alice"), sign_up(b, "bob")

    async def scenario():
        wa, wb = await connect(a, alice), await connect(b, bob)
        await befriend(wa, alice, wb, bob)
        # Nothing but HEARTBEATs (a PeerJS client's every 5 s; here every 0.3 s), for over 2 TTLs.
        loop = asyncio.get_running_loop()
        until = loop.time() + 2 * PRESENCE_TTL + 1
        while loop.time() < until:
            await wa.send(HEARTBEAT)
            await wb.send(HEARTBEAT)
            await asyncio.sleep(0.3)
        # bob's entry is there, and still one that expires by itself (a crashed process's would).
        assert 0 < directory_entry_ttl(bob.handle) <= PRESENCE_TTL
        # Relayed from process a to process b and back, never answered by EXPIRE.
        await wa.send(offer(bob.handle, 1))
        got = await receive(wb)
        assert (got["type"], got["src"], got["payload"]["connectionId"]) == ("OFFER", alice.handle, "dc_1")
        assert await nothing(wa)
        await wb.send(json.dumps({"type": "ANSWER", "dst": alice.handle, "payload": {"connectionId": "dc_1"}}))
        assert (await receive(wa))["src"] == bob.handle
        assert await nothing(wb)

        # Conversely: once bob has gone, his entry is gone and alice hears EXPIRE.
        await wb.close()
        assert (await receive(wa))["payload"] == {"handle": bob.handle, "online": False}
        assert directory_entry_ttl(bob.handle) == -2
        await wa.send(offer(bob.handle, 2))
        assert await receive(wa, 2) == {"type": "EXPIRE", "src": bob.handle, "dst": alice.handle}
        await wa.close()

    asyncio.run(scenario())


def test_one_connection_per_handle_across_processes(servers):
    a, b = servers
    alice, bob = sign_up(a, "alice"), sign_up(a, "bob")

    async def scenario():
        first = await connect(a, alice)
        second = await connect(b, alice)  # the same handle on the other process takes over
        error = await receive(first)
        assert error["type"] == "ERROR" and "taken over" in error["payload"]["msg"]
        await asyncio.wait_for(first.wait_closed(), 5)
        assert first.close_code == 4002
        wb = await connect(a, bob)
        await wb.send(offer(alice.handle))
        assert (await receive(second))["src"] == bob.handle
        for ws in (second, wb):
            await ws.close()

    asyncio.run(scenario())


def test_devices_of_one_handle_on_two_processes(servers):
    """Each device is told to a friend on its own, and a reload takes over that device only."""
    a, b = servers
    alice, bob = sign_up(a, "alice"), sign_up(b, "bob")
    d1_id, d2_id = f"{alice.handle}-d1", f"{alice.handle}-d2"

    async def scenario():
        wb = await connect(b, bob)
        await wb.send(watch(alice.handle))
        d1, d2 = await connect(a, alice, "d1"), await connect(b, alice, "d2")
        for ws in (d1, d2):
            await ws.send(watch(bob.handle))
            assert (await receive(ws))["payload"] == {"handle": bob.handle, "online": True}
        assert sorted([(await receive(wb))["payload"]["handle"] for _ in range(2)]) == [d1_id, d2_id]

        again = await connect(b, alice, "d1")  # d1's tab reloads, on the other process
        error = await receive(d1)
        assert error["type"] == "ERROR" and "taken over" in error["payload"]["msg"]
        await asyncio.wait_for(d1.wait_closed(), 5)
        assert d1.close_code == 4002
        assert await nothing(d2) and await nothing(wb)  # the other device stays; bob hears no news
        await again.send(offer(bob.handle))
        assert (await receive(wb))["src"] == d1_id

        await d2.close()
        assert (await receive(wb))["payload"] == {"handle": d2_id, "online": False}
        await again.close()
        assert (await receive(wb))["payload"] == {"handle": d1_id, "online": False}
        await wb.close()

    asyncio.run(scenario())


def test_presence_between_friends_across_processes(servers):
    a, b = servers
    alice, bob, mallory = sign_up(a, "alice"), sign_up(b, "bob"), sign_up(b, "mallory")

    async def scenario():
        wa, wb, wm = await connect(a, alice), await connect(b, bob), await connect(b, mallory)
        await wm.send(json.dumps({"type": "WATCH", "payload": {"handles": [alice.handle]}}))
        await wa.send(json.dumps({"type": "WATCH", "payload": {"handles": [bob.handle]}}))
        assert await nothing(wa)
        await wb.send(json.dumps({"type": "WATCH", "payload": {"handles": [alice.handle]}}))
        assert (await receive(wa))["payload"] == {"handle": bob.handle, "online": True}
        assert (await receive(wb))["payload"] == {"handle": alice.handle, "online": True}
        await wb.close()
        assert (await receive(wa))["payload"] == {"handle": bob.handle, "online": False}
        assert await nothing(wm)  # a stranger who watches alice learns nothing
        await wa.close()
        await wm.close()

    asyncio.run(scenario())


def test_a_killed_process_leaves_no_ghosts(pg_database, tmp_path):
    redis_url = need("REDIS_URL", "Redis")
    env = {"DATABASE_URL": pg_database, "REDIS_URL": redis_url, "SIGNALING_PRESENCE_TTL": str(PRESENCE_TTL)}
    with LiveServer.start(tmp_path / "steady", env=env) as steady:
        doomed = LiveServer.start(tmp_path / "doomed", env=env)
        alice, bob = sign_up(steady, "alice"), sign_up(steady, "bob")

        async def scenario():
            wa = await connect(steady, alice)
            wb = await connect(doomed, bob)
            await befriend(wa, alice, wb, bob)
            assert directory_entry_ttl(bob.handle) > 0
            doomed.process.send_signal(signal.SIGKILL)
            doomed.process.wait(timeout=10)
            # Nobody refreshes bob's entries any more: where he was expires. Whom he watched is kept
            # a while longer, as for a handle that left (so friends still hear EXPIRE at once).
            loop = asyncio.get_running_loop()
            deadline = loop.time() + PRESENCE_TTL + 5
            while directory_entry_ttl(bob.handle) != -2:
                if loop.time() > deadline:
                    pytest.fail("bob's ghost never expired from the directory")
                await asyncio.sleep(0.2)
            # And then his friend, dialling him, hears EXPIRE (not a frame sent into a dead process).
            await wa.send(offer(bob.handle, 1))
            assert await receive(wa, 2) == {"type": "EXPIRE", "src": bob.handle, "dst": alice.handle}
            await wa.close()
            await wb.close()

        asyncio.run(scenario())
