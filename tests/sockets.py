"""Logged-in WebSockets to the real ASGI app, and the PeerJS frames tests send and expect.

Shared by the tests that drive the real consumer through Channels' ``WebsocketCommunicator``
(``net``, the fixture in conftest.py, hands out a ``Net`` and closes all it opened).
"""

import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from broker.asgi import application
from signaling.ownership import owner_of

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


class Net:
    """Logged-in sockets to the real app, all closed after the test."""

    def __init__(self, session_cookie):
        self.session_cookie = session_cookie
        self.cookies: dict[str, str] = {}  # handle -> the session its next sockets use
        self.opened: list[WebsocketCommunicator] = []

    async def open(self, handle, peer_id=None, headers=HEADERS, client=None):
        if handle not in self.cookies:
            self.cookies[handle] = await sync_to_async(self.session_cookie)(handle)
        path = f"/peerjs?key=peerjs&id={peer_id or handle}&token=t"
        comm = WebsocketCommunicator(application, path, headers=[(b"cookie", self.cookies[handle].encode()), *headers])
        if client is not None:
            comm.scope["client"] = client  # the app has not started yet: it sees this scope
        self.opened.append(comm)
        connected, _ = await comm.connect()
        assert connected
        return comm

    async def attach(self, peer_id, watch=()):
        """A socket attached as ``peer_id`` (a handle, or ``handle-device`` in that handle's session)."""
        comm = await self.open(owner_of(peer_id), peer_id=peer_id)
        assert await receive(comm) == {"type": "OPEN"}
        if watch:
            await send(comm, {"type": "WATCH", "payload": {"handles": list(watch)}})
        return comm

    async def friends(self, a, b):
        """Two connected friends (they watch each other), with their presence notices read."""
        first = await self.attach(a, watch=[b])
        second = await self.attach(b, watch=[a])
        assert (await receive(first))["payload"] == {"handle": b, "online": True}
        assert (await receive(second))["payload"] == {"handle": a, "online": True}
        return first, second

    async def close_all(self):
        for comm in self.opened:
            if not comm.future.done():
                await comm.disconnect()
            comm.future.result()  # a consumer that crashed fails the test here


async def receive(comm):
    return json.loads(await comm.receive_from(timeout=2))


async def send(comm, frame):
    await comm.send_to(text_data=json.dumps(frame))


async def nothing(comm):
    return await comm.receive_nothing(timeout=0.15)


def offer(dst, connection_id="dc_1", serialization="binary"):
    return {
        "type": "OFFER",
        "dst": dst,
        "payload": {
            "sdp": {"type": "offer", "sdp": "v=0\r\n"},
            "type": "data",
            "connectionId": connection_id,
            "label": connection_id,
            "reliable": False,
            "serialization": serialization,
        },
    }


def negotiation(kind, dst, connection_id="dc_1"):
    return {"type": kind, "dst": dst, "payload": {"connectionId": connection_id, "candidate": {"candidate": "x"}}}


async def expect_error(comm, contains):
    frame = await receive(comm)
    assert frame["type"] == "ERROR", frame
    assert contains in frame["payload"]["msg"], frame
