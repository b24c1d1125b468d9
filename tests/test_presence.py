"""Presence is told only between handles that watch each other (friends), through the real consumer."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from broker.asgi import application
from signaling.presence import Peer, PresenceBoard, Watch, mutual, presence_notices

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


async def connect(cookie: str, peer_id: str) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(
        application, f"/peerjs?key=peerjs&id={peer_id}&token=t", headers=[(b"cookie", cookie.encode()), ORIGIN, HOST]
    )
    connected, _ = await ws.connect()
    assert connected
    assert json.loads(await ws.receive_from()) == {"type": "OPEN"}
    return ws


async def watch(ws: WebsocketCommunicator, *handles: str) -> None:
    await ws.send_to(text_data=json.dumps({"type": "WATCH", "payload": {"handles": list(handles)}}))


async def presence(ws: WebsocketCommunicator) -> dict:
    return json.loads(await ws.receive_from(timeout=2))["payload"]


async def test_friends_hear_each_other_come_and_go(session_cookie, channel_layer_backend):
    alice = await connect(await sync_to_async(session_cookie)("alice"), "alice")
    bob = await connect(await sync_to_async(session_cookie)("bob"), "bob")
    await watch(alice, "bob")
    assert await alice.receive_nothing(0.2)  # bob does not watch alice yet: alice learns nothing
    await watch(bob, "Alice")
    assert await bob.receive_from(timeout=2)
    assert await presence(alice) == {"handle": "bob", "online": True}
    await bob.disconnect()
    assert await presence(alice) == {"handle": "bob", "online": False}
    await alice.disconnect()


async def test_a_stranger_learns_nothing(session_cookie):
    alice = await connect(await sync_to_async(session_cookie)("alice"), "alice")
    mallory = await connect(await sync_to_async(session_cookie)("mallory"), "mallory")
    await watch(alice, "bob")
    await watch(mallory, "alice", "bob")
    assert await mallory.receive_nothing(0.3)
    await alice.disconnect()
    assert await mallory.receive_nothing(0.3)
    await mallory.disconnect()


async def test_unwatching_tells_the_other_side(session_cookie):
    alice = await connect(await sync_to_async(session_cookie)("alice"), "alice")
    bob = await connect(await sync_to_async(session_cookie)("bob"), "bob")
    await watch(alice, "bob")
    await watch(bob, "alice")
    await presence(alice)
    await presence(bob)
    await watch(alice)  # alice unfriends bob
    assert await presence(bob) == {"handle": "alice", "online": False}
    assert await alice.receive_nothing(0.2)
    await alice.disconnect()
    await bob.disconnect()


async def test_a_bad_watch_list_gets_an_error_and_the_connection_lives(session_cookie):
    alice = await connect(await sync_to_async(session_cookie)("alice"), "alice")
    for payload in ({"handles": "bob"}, {"handles": ["<script>"]}, None, {"handles": ["a"] * 1001}):
        await alice.send_to(text_data=json.dumps({"type": "WATCH", "payload": payload}))
        frame = json.loads(await alice.receive_from())
        assert frame["type"] == "ERROR" and "WATCH" in frame["payload"]["msg"]
    await watch(alice, "bob")
    assert await alice.receive_nothing(0.2)
    await alice.disconnect()


def test_board_rules_directly():
    board = PresenceBoard()
    assert board.watch("a", "A", Watch(frozenset({"b"})), fresh=True) == []
    b_list = Watch(frozenset({"a", "c"}))
    assert sorted(board.watch("b", "B", b_list, fresh=True)) == [("a", "B", True), ("b", "A", True)]
    assert board.watch("c", "C", Watch(), fresh=True) == []
    # The same list again from the same connection is no news to anyone.
    assert board.watch("b", "B", b_list, fresh=False) == []
    # A new connection of b (a take-over inherits the list) is told who is online; a hears nothing.
    assert board.watch("b", "B", b_list, fresh=True) == [("b", "A", True)]
    assert board.leave("b") == [("a", "B", False)]
    assert board.leave("b") == []
    # b's list is remembered a while after it left: a friend dialling b hears EXPIRE at once.
    assert board.reach("b", "a") == Peer("b", "b", lists_me=True, watchers=False)
    assert board.reach("b", "z") == Peer("b", "b", lists_me=False, watchers=False)
    assert board.reach("nobody", "a") is None


def test_mutual_rule_directly():
    """signaling.presence.mutual, the rule the board and the Redis directory share."""

    def peer(key, lists_me=False, watchers=False):
        return Peer(key, key, lists_me, watchers)

    bob = Watch(frozenset({"bob"}))
    nobody, reverse = Watch(), Watch(frozenset(), watchers=True)
    assert mutual("alice", bob, peer("bob-d1", lists_me=True))  # friends: each lists the other
    assert not mutual("alice", bob, peer("bob-d1"))  # bob's device does not list alice
    assert not mutual("alice", nobody, peer("bob-d1", lists_me=True))  # alice does not list bob
    # Reverse watch: the side that asked meets those that list it, and no one else.
    assert mutual("alice", reverse, peer("bob-d1", lists_me=True))
    assert mutual("alice", bob, peer("bob-d1", watchers=True))
    assert not mutual("alice", reverse, peer("mallory"))
    assert not mutual("alice", reverse, peer("mallory", watchers=True))
    # One account's devices: either naming the handle is enough.
    assert mutual("alice", Watch(frozenset({"alice"})), peer("alice-d2"))
    assert mutual("alice", nobody, peer("alice-d2", lists_me=True))
    assert not mutual("alice", reverse, peer("alice-d2"))


def test_presence_notices_per_device():
    key, me = "alice-d1", "alice-d1"
    bob1, bob2 = Peer("bob-d1", "bob-d1", True, False), Peer("bob-d2", "Bob-d2", False, False)
    watch = Watch(frozenset({"bob"}))
    # A first WATCH: told of each device that lists alice; those told of it.
    assert presence_notices(key, me, None, watch, True, [bob2, bob1]) == [
        ("alice-d1", "bob-d1", True),
        ("bob-d1", "alice-d1", True),
    ]
    # Leaving: only mutual devices hear it; never about itself.
    mine = Peer(key, me, True, False)
    assert presence_notices(key, me, watch, None, False, [bob1, bob2, mine]) == [("bob-d1", "alice-d1", False)]
