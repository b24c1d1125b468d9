"""The /peerjs WebSocket, frame by frame, against the real consumer and the real ASGI app.

Every test drives ``broker.asgi.application`` (session + auth middleware, URL router, the
PeerJS consumer) through ``WebsocketCommunicator``; nothing in the signaling code is mocked.
Tests where frames or events cross connections run on the in-memory channel layer and on the
real Redis (the latter skips unless REDIS_URL is set).
"""

import asyncio
import json
import re
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.test import Client

from broker.asgi import application
from signaling import protocol
from signaling.ownership import route_key
from signaling.switchboard import switchboard
from tests.services import need

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_password_hasher")]

ORIGIN = b"http://127.0.0.1:8000"
HOST = b"127.0.0.1:8000"
PASSWORD = "correct horse battery"  # the password of the session_cookie fixture's users
CLOSE_REFUSED, CLOSE_TAKEN_OVER, CLOSE_LOGGED_OUT = 4001, 4002, 4003


def strict_json(text: str):
    """Parses JSON the way a browser's JSON.parse does: NaN and Infinity are not JSON."""

    def refuse(name):
        raise AssertionError(f"the server sent {name}, which is not JSON: {text[:200]}")

    return json.loads(text, parse_constant=refuse)


def offer(dst="bob", connection_id="dc_1", **extra):
    payload = {
        "sdp": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"},
        "type": "data",
        "connectionId": connection_id,
        "label": connection_id,
        "reliable": False,
        "serialization": "binary",
        "metadata": {"note": "hé ☃", "n": [1, 2.5, None, True]},
    }
    return {"type": "OFFER", "dst": dst, "payload": payload, **extra}


class Sockets:
    """Opens WebSockets to the real app and closes every one of them after the test."""

    def __init__(self, session_cookie):
        self._session_cookie = session_cookie
        self.opened: list[WebsocketCommunicator] = []

    async def login(self, handle: str) -> str:
        return await sync_to_async(self._session_cookie)(handle)

    async def open(self, cookie=None, peer_id="alice", token="t1", origin=ORIGIN, query=None):
        path = "/peerjs?" + (query if query is not None else f"key=peerjs&id={peer_id}&token={token}")
        headers = [(b"host", HOST)]  # a real server always has the Host header; the Origin check needs it
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        if origin:
            headers.append((b"origin", origin))
        comm = WebsocketCommunicator(application, path, headers=headers)
        self.opened.append(comm)
        connected, _ = await comm.connect()
        # Peerwall accepts every handshake and refuses afterwards with an ERROR frame.
        assert connected
        return comm

    async def attach(self, cookie, peer_id, token="t1"):
        """Opens a socket that must be attached: its first frame is OPEN."""
        comm = await self.open(cookie, peer_id, token)
        assert await receive(comm) == {"type": "OPEN"}
        return comm

    async def close_all(self) -> bool:
        """Closes every socket; False if some consumer was cancelled (the test has failed then)."""
        errors, cancelled = [], False
        for comm in self.opened:
            if comm.future.cancelled():  # a receive timed out, which cancels the application
                cancelled = True
                continue
            try:
                await comm.disconnect()
            except BaseException as error:  # report a crashed consumer, but close the others first
                errors.append(error)
        if errors:
            raise errors[0]
        return not cancelled


@pytest.fixture
async def sockets(session_cookie):
    opened = Sockets(session_cookie)
    try:
        yield opened
    finally:
        if await opened.close_all():
            # Every socket detached when it closed: no registration outlives its connection.
            assert len(switchboard) == 0
        else:  # a cancelled consumer never ran disconnect(); don't let it leak into the next test
            for key in list(switchboard._endpoints):
                switchboard._endpoints.pop(key)


async def receive(comm):
    return strict_json(await comm.receive_from(timeout=2))


async def send(comm, frame):
    await comm.send_to(text_data=json.dumps(frame))


async def expect_error(comm, contains=""):
    frame = await receive(comm)
    assert frame["type"] == "ERROR", frame
    assert set(frame) == {"type", "payload"}
    assert set(frame["payload"]) == {"msg"}
    assert isinstance(frame["payload"]["msg"], str)
    assert frame["payload"]["msg"]
    assert contains in frame["payload"]["msg"], frame
    return frame["payload"]["msg"]


async def expect_close(comm, code):
    message = await comm.receive_output(timeout=2)
    assert message == {"type": "websocket.close", "code": code}


async def expect_refusal(comm, contains=""):
    msg = await expect_error(comm, contains)
    await expect_close(comm, CLOSE_REFUSED)
    return msg


async def nothing(comm):
    return await comm.receive_nothing(timeout=0.1)


async def pair(sockets):
    alice = await sockets.attach(await sockets.login("alice"), "alice")
    bob = await sockets.attach(await sockets.login("bob"), "bob")
    return alice, bob


async def befriend(a, a_handle, b, b_handle):
    """Makes two attached peers friends (each WATCHes the other) and reads the PRESENCE each gets."""
    await send(a, {"type": "WATCH", "payload": {"handles": [b_handle]}})
    await send(b, {"type": "WATCH", "payload": {"handles": [a_handle]}})
    assert await receive(a) == {"type": "PRESENCE", "payload": {"handle": b_handle, "online": True}}
    assert await receive(b) == {"type": "PRESENCE", "payload": {"handle": a_handle, "online": True}}


async def friends(sockets):
    """alice and bob, attached and friends."""
    alice, bob = await pair(sockets)
    await befriend(alice, "alice", bob, "bob")
    return alice, bob


async def departed_friends_of(sockets, alice, *handles):
    """alice WATCHes the handles; each attaches, watches alice back (friends), and leaves again.

    A friend who just left is still remembered as watching, so alice may hear EXPIRE for it.
    """
    await send(alice, {"type": "WATCH", "payload": {"handles": list(handles)}})
    for handle in handles:
        other = await sockets.attach(await sockets.login(handle), handle)
        await send(other, {"type": "WATCH", "payload": {"handles": ["alice"]}})
        assert await receive(other) == {"type": "PRESENCE", "payload": {"handle": "alice", "online": True}}
        assert await receive(alice) == {"type": "PRESENCE", "payload": {"handle": handle, "online": True}}
        await other.disconnect()
        assert await receive(alice) == {"type": "PRESENCE", "payload": {"handle": handle, "online": False}}


async def assert_still_relays(sender, receiver, dst="bob", src="alice", connection_id="dc_after"):
    """The connection is up: a good frame still goes through."""
    await send(sender, offer(dst, connection_id))
    got = await receive(receiver)
    assert got["src"] == src
    assert got["payload"]["connectionId"] == connection_id
    assert await nothing(sender)


# --- attaching ----------------------------------------------------------------------------


async def test_logged_in_handle_gets_open(sockets):
    alice = await sockets.open(await sockets.login("alice"), "alice")
    assert await receive(alice) == {"type": "OPEN"}
    assert await nothing(alice)


@pytest.mark.parametrize(
    ("handle", "peer_id"),
    [
        pytest.param("alice", "Alice", id="capitalised"),
        pytest.param("bob", "BOB", id="upper-case"),
        pytest.param("Carol_1", "carol_1", id="lower-case-of-a-capitalised-handle"),
    ],
)
async def test_own_handle_in_another_letter_case_is_refused_naming_the_right_spelling(sockets, handle, peer_id):
    """A session attaches only as its handle spelled as the account stores it (get_username())."""
    dave = await sockets.attach(await sockets.login("dave"), "dave")
    cookie = await sockets.login(handle)
    wrong = await sockets.open(cookie, peer_id)
    msg = await expect_refusal(wrong)
    # The message names the right spelling, exactly (as a word of its own, letter case and all).
    assert re.search(rf"(?<![A-Za-z0-9_]){re.escape(handle)}(?![A-Za-z0-9_])", msg), msg
    # Never attached: nothing it sends is relayed (with that spelling as src, or any other) ...
    await send(wrong, offer(dst="dave"))
    assert await nothing(dave)
    # ... and nothing for the handle reaches it.
    await send(dave, offer(dst=handle, connection_id="dc_for_wrong"))
    assert await nothing(wrong)
    assert switchboard.lookup(route_key(handle)) is None
    # The same session, with the right spelling, attaches and is relayed as exactly that.
    right = await sockets.attach(cookie, handle, token="t2")
    await send(right, offer(dst="dave"))
    assert (await receive(dave))["src"] == handle
    await send(dave, offer(dst=handle, connection_id="dc_for_right"))
    got = await receive(right)
    assert (got["src"], got["dst"], got["payload"]["connectionId"]) == ("dave", handle, "dc_for_right")


# --- refusals: ERROR, then close 4001 -----------------------------------------------------


async def test_anonymous_connection_is_refused(sockets):
    comm = await sockets.open(cookie=None, peer_id="alice")
    await expect_refusal(comm, "Log in")


async def test_unknown_session_cookie_is_refused(sockets):
    comm = await sockets.open(cookie="sessionid=notasessionatall", peer_id="alice")
    await expect_refusal(comm, "Log in")


async def test_id_of_another_handle_is_refused(sockets):
    await sockets.login("bob")
    comm = await sockets.open(await sockets.login("alice"), "bob")
    msg = await expect_refusal(comm, "'alice'")
    assert "'bob'" in msg


async def test_refused_socket_gets_no_relayed_frames(sockets):
    bob_cookie = await sockets.login("bob")
    refused = await sockets.open(await sockets.login("alice"), "bob")
    await expect_refusal(refused)
    bob = await sockets.attach(bob_cookie, "bob")
    await send(refused, offer(dst="bob"))
    assert await nothing(bob)
    assert await nothing(refused)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("key=peerjs&token=t1", id="no-id"),
        pytest.param("key=peerjs&id=alice", id="no-token"),
        pytest.param("id=alice&token=t1", id="no-key"),
        pytest.param("key=peerjs&id=&token=t1", id="empty-id"),
        pytest.param("", id="no-query"),
    ],
)
async def test_missing_query_parameter_is_refused(sockets, query):
    comm = await sockets.open(await sockets.login("alice"), query=query)
    await expect_refusal(comm, "No id, token, or key supplied to websocket server")


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(b"http://evil.example", id="other-site"),
        pytest.param(b"http://127.0.0.1.evil.example:8000", id="lookalike-host"),
        pytest.param(b"null", id="opaque-origin"),
    ],
)
async def test_disallowed_origin_is_refused(sockets, origin):
    comm = await sockets.open(await sockets.login("alice"), "alice", origin=origin)
    await expect_refusal(comm, "origin")


@pytest.mark.parametrize(
    ("handle", "peer_id"),
    [
        pytest.param("alice", "alice!", id="punctuation"),
        pytest.param("alice", "alice_", id="trailing-separator"),
        pytest.param("alice", "%20alice", id="leading-space"),
        # U+017F LATIN SMALL LETTER LONG S casefolds to "s": not a PeerJS id, so not @sam's.
        pytest.param("sam", "%C5%BFam", id="casefold-lookalike"),
    ],
)
async def test_invalid_peer_id_is_refused(sockets, handle, peer_id):
    comm = await sockets.open(await sockets.login(handle), peer_id)
    await expect_refusal(comm, repr(handle))


# --- relaying -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["OFFER", "ANSWER", "CANDIDATE"])
async def test_negotiation_frame_is_relayed_with_src_stamped_and_payload_untouched(
    channel_layer_backend, sockets, kind
):
    alice, bob = await pair(sockets)
    payload = {
        "candidate": {"candidate": "candidate:1 1 udp 2122260223 10.0.0.1 50000 typ host", "sdpMLineIndex": 0},
        "sdp": {"type": "answer", "sdp": "v=0\r\n"},
        "type": "media",
        "connectionId": "mc_x8",
        "metadata": {"nested": {"list": [1, -2.5e-7, "ü", None, False, {}], "empty": []}},
    }
    if kind != "OFFER":  # ANSWER and CANDIDATE are relayed only inside a negotiation an OFFER began
        await send(alice, offer(dst="bob", connection_id="mc_x8"))
        assert (await receive(bob))["payload"]["connectionId"] == "mc_x8"
    await send(alice, {"type": kind, "dst": "bob", "payload": payload, "extra": 1, "version": "1.5.5"})
    assert await receive(bob) == {"type": kind, "src": "alice", "dst": "bob", "payload": payload}
    assert await nothing(alice)
    # And the other way round.
    await send(bob, {"type": kind, "dst": "alice", "payload": payload})
    assert await receive(alice) == {"type": kind, "src": "bob", "dst": "alice", "payload": payload}


async def test_relayed_frame_keeps_exactly_four_keys(sockets):
    alice, bob = await pair(sockets)
    await send(alice, offer(extra={"a": 1}, id="x", token="t", src="alice", key="peerjs"))
    got = await receive(bob)
    assert set(got) == {"type", "src", "dst", "payload"}


async def test_dst_is_routed_case_insensitively(sockets):
    alice, bob = await pair(sockets)
    await send(alice, offer(dst="BoB"))
    got = await receive(bob)
    assert (got["src"], got["dst"]) == ("alice", "BoB")


async def test_spoofed_src_is_replaced_by_the_senders_handle(channel_layer_backend, sockets):
    alice, bob = await pair(sockets)
    await send(alice, offer(src="mallory"))
    assert (await receive(bob))["src"] == "alice"
    await send(alice, {**offer(), "src": "bob"})
    assert (await receive(bob))["src"] == "alice"
    await send(alice, {**offer(), "src": {"type": "OPEN"}})
    assert (await receive(bob))["src"] == "alice"


async def test_heartbeat_gets_no_reply_and_the_connection_stays_up(sockets):
    alice, bob = await pair(sockets)
    for _ in range(3):
        await send(alice, {"type": "HEARTBEAT"})
    assert await nothing(alice)
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


async def test_heartbeat_ignores_junk_fields(sockets):
    alice, bob = await pair(sockets)
    await send(alice, {"type": "HEARTBEAT", "dst": ["not", "an", "id"], "payload": 5})
    assert await nothing(alice)
    assert await nothing(bob)


# --- offline destinations: EXPIRE -----------------------------------------------------------


async def test_frame_for_offline_dst_is_answered_by_expire_promptly(channel_layer_backend, sockets, fake_clock):
    """EXPIRE comes while the broker's clock stands still: no timer has to run out first.

    carol is alice's friend (they watch each other) and has just left, so alice may hear it.
    """
    alice = await sockets.attach(await sockets.login("alice"), "alice")
    carol = await sockets.attach(await sockets.login("carol"), "carol")
    await send(alice, {"type": "WATCH", "payload": {"handles": ["carol"]}})
    await send(carol, {"type": "WATCH", "payload": {"handles": ["alice"]}})
    assert await receive(alice) == {"type": "PRESENCE", "payload": {"handle": "carol", "online": True}}
    await carol.disconnect()
    assert await receive(alice) == {"type": "PRESENCE", "payload": {"handle": "carol", "online": False}}
    await send(alice, offer(dst="carol"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "carol", "dst": "alice"}


async def test_expire_for_a_known_but_disconnected_handle(channel_layer_backend, sockets):
    alice, bob = await friends(sockets)
    carol = await sockets.attach(await sockets.login("carol"), "carol")
    await bob.disconnect()
    assert await receive(alice) == {"type": "PRESENCE", "payload": {"handle": "bob", "online": False}}
    await send(alice, offer(dst="bob"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "bob", "dst": "alice"}
    # To a stranger, bob's absence is silence: presence is no oracle.
    await send(carol, offer(dst="bob"))
    assert await nothing(carol)


async def test_offer_then_candidates_to_offline_dst_yield_exactly_one_expire(channel_layer_backend, sockets):
    alice = await sockets.attach(await sockets.login("alice"), "alice")
    await departed_friends_of(sockets, alice, "carol", "dave")
    await send(alice, offer(dst="carol"))
    for n in range(5):
        await send(alice, {"type": "CANDIDATE", "dst": "carol", "payload": {"connectionId": "dc_1", "n": n}})
    await send(alice, {"type": "CANDIDATE", "dst": "CAROL", "payload": {"connectionId": "dc_1"}})
    assert await receive(alice) == {"type": "EXPIRE", "src": "carol", "dst": "alice"}
    assert await nothing(alice)
    # Another absent peer gets its own EXPIRE.
    await send(alice, offer(dst="dave"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "dave", "dst": "alice"}
    assert await nothing(alice)


async def test_a_new_connection_attempt_to_an_offline_peer_is_answered_at_once(sockets):
    """A client that retries soon (a new connection id) hears EXPIRE again, not silence."""
    alice = await sockets.attach(await sockets.login("alice"), "alice")
    await departed_friends_of(sockets, alice, "carol")
    await send(alice, offer(dst="carol", connection_id="dc_1"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "carol", "dst": "alice"}
    await send(alice, offer(dst="carol", connection_id="dc_2"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "carol", "dst": "alice"}


@pytest.mark.parametrize(
    "serialization",
    [
        "constructor",
        "toString",
        "hasOwnProperty",
        "__proto__",
        None,
        7,
        "",
        "1binary",
        "bin ary",
        "json;",
        "a" * 65,
    ],
)
async def test_offer_naming_a_serialization_peerjs_lacks_is_refused(sockets, serialization):
    """PeerJS builds the callee's connection from serializers[payload.serialization]: what can be
    no serializer's name (no identifier, or a name every JavaScript object has) would hand the
    callee's page something else, so such an OFFER never leaves the broker."""
    alice, bob = await pair(sockets)
    bad = offer()
    bad["payload"]["serialization"] = serialization
    await send(alice, bad)
    error = await receive(alice)
    assert error["type"] == "ERROR" and "serialization" in error["payload"]["msg"]
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


@pytest.mark.parametrize("serialization", ["binary", "binary-utf8", "json", "raw", "MsgPack", "evil", "a" * 64])
async def test_offer_naming_any_plain_serialization_is_relayed(sockets, serialization):
    """Which serializers the callee has is the apps' business (Peer({serializers})): every plain
    name is relayed as it is."""
    alice, bob = await pair(sockets)
    frame = offer()
    frame["payload"]["serialization"] = serialization
    await send(alice, frame)
    got = await receive(bob)
    assert (got["type"], got["src"], got["payload"]) == ("OFFER", "alice", frame["payload"])
    assert await nothing(alice)


@pytest.mark.parametrize("kind", ["LEAVE", "EXPIRE"])
async def test_notice_to_offline_dst_yields_no_expire(channel_layer_backend, sockets, kind):
    alice = await sockets.attach(await sockets.login("alice"), "alice")
    await departed_friends_of(sockets, alice, "carol")  # so a real frame would hear EXPIRE
    await send(alice, {"type": kind, "dst": "carol"})
    await send(alice, {"type": kind, "dst": "carol", "payload": {"connectionId": "x"}})
    assert await nothing(alice)
    # Nor do they use up the one EXPIRE a real frame gets.
    await send(alice, offer(dst="carol"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "carol", "dst": "alice"}


@pytest.mark.parametrize("kind", ["LEAVE", "EXPIRE"])
async def test_notice_to_online_dst_is_relayed(channel_layer_backend, sockets, kind):
    alice, bob = await pair(sockets)
    await send(alice, {"type": kind, "dst": "bob", "src": "mallory"})
    assert await receive(bob) == {"type": kind, "src": "alice", "dst": "bob"}
    assert await nothing(alice)


async def test_legacy_leave_without_dst_closes_the_connection(sockets):
    alice, bob = await pair(sockets)
    await send(alice, {"type": "LEAVE"})
    message = await alice.receive_output(timeout=2)
    assert message["type"] == "websocket.close"
    assert message.get("code", 1000) == 1000
    assert await nothing(bob)


# --- bad frames: ERROR, and the connection lives on --------------------------------------

BAD_FRAMES = [
    pytest.param('{"type": "OFFER", "dst": "bob"', "not valid JSON", id="malformed-json"),
    pytest.param("hello", "not valid JSON", id="not-json-at-all"),
    pytest.param('["OFFER", "bob"]', "JSON object", id="json-array"),
    pytest.param('"OFFER"', "JSON object", id="json-string"),
    pytest.param("null", "JSON object", id="json-null"),
    pytest.param('{"dst": "bob", "payload": {"connectionId": "c"}}', "'type' is missing", id="missing-type"),
    pytest.param('{"type": 7, "dst": "bob"}', "'type' is missing", id="type-not-a-string"),
    pytest.param('{"type": "GOSSIP", "dst": "bob"}', "Unknown frame type", id="unknown-type"),
    pytest.param('{"type": "offer", "dst": "bob", "payload": {"connectionId": "c"}}', "Unknown", id="lowercase-type"),
    pytest.param('{"type": "OPEN"}', "Unknown frame type", id="server-only-type"),
    pytest.param('{"type": "OFFER", "payload": {"connectionId": "c"}}', "'dst'", id="missing-dst"),
    pytest.param('{"type": "OFFER", "dst": null, "payload": {"connectionId": "c"}}', "'dst'", id="null-dst"),
    pytest.param('{"type": "OFFER", "dst": "bob!", "payload": {"connectionId": "c"}}', "'dst'", id="dst-bad-chars"),
    pytest.param('{"type": "OFFER", "dst": ["bob"], "payload": {"connectionId": "c"}}', "'dst'", id="dst-list"),
    pytest.param('{"type": "LEAVE", "dst": 5}', "'dst'", id="leave-dst-number"),
    pytest.param(json.dumps(offer(dst="b" * 65)), "'dst'", id="dst-too-long"),
    pytest.param('{"type": "OFFER", "dst": "bob"}', "'payload'", id="offer-without-payload"),
    pytest.param('{"type": "OFFER", "dst": "bob", "payload": "sdp"}', "'payload'", id="payload-not-object"),
    pytest.param('{"type": "OFFER", "dst": "bob", "payload": {}}', "connectionId", id="offer-without-connection-id"),
    pytest.param('{"type": "ANSWER", "dst": "bob", "payload": {"connectionId": 7}}', "connectionId", id="id-number"),
    pytest.param('{"type": "CANDIDATE", "dst": "bob", "payload": {"connectionId": ""}}', "connectionId", id="id-empty"),
    pytest.param(json.dumps(offer(connection_id="c" * 129)), "connectionId", id="connection-id-too-long"),
    pytest.param(json.dumps(offer())[:-1] + ', "x": NaN}', "not valid JSON", id="nan-is-not-json"),
    pytest.param(json.dumps(offer())[:-1] + ', "x": -Infinity}', "not valid JSON", id="infinity-is-not-json"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FRAMES)
async def test_bad_frame_gets_error_and_connection_stays_up(sockets, text, message):
    alice, bob = await pair(sockets)
    await alice.send_to(text_data=text)
    await expect_error(alice, message)
    assert await nothing(alice)
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


async def test_binary_frame_gets_error_and_connection_stays_up(sockets):
    alice, bob = await pair(sockets)
    await alice.send_to(bytes_data=json.dumps(offer()).encode())
    await expect_error(alice, "Binary frames")
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


def padded_offer(size: int, pad_char: str = "x") -> str:
    """An otherwise valid OFFER whose UTF-8 encoding is exactly ``size`` bytes."""
    frame = offer()
    frame["payload"]["metadata"] = ""
    bare = len(json.dumps(frame, ensure_ascii=False).encode())
    count, rest = divmod(size - bare, len(pad_char.encode()))
    frame["payload"]["metadata"] = pad_char * count + "x" * rest
    text = json.dumps(frame, ensure_ascii=False)
    assert len(text.encode()) == size
    return text


async def test_frame_of_exactly_the_size_limit_is_relayed(sockets, settings):
    alice, bob = await pair(sockets)
    await alice.send_to(text_data=padded_offer(settings.SIGNALING_MAX_FRAME_BYTES))
    assert (await receive(bob))["type"] == "OFFER"
    assert await nothing(alice)


async def test_oversize_frame_gets_error_and_connection_stays_up(sockets, settings):
    assert settings.SIGNALING_MAX_FRAME_BYTES == 64 * 1024
    alice, bob = await pair(sockets)
    await alice.send_to(text_data=padded_offer(settings.SIGNALING_MAX_FRAME_BYTES + 1))
    await expect_error(alice, "Frame too large")
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


async def test_frame_limit_counts_utf8_bytes_not_characters(sockets, settings):
    settings.SIGNALING_MAX_FRAME_BYTES = 3000
    alice, bob = await pair(sockets)
    # 3003 bytes of UTF-8, though far fewer than 3000 characters.
    text = padded_offer(3003, pad_char="€")
    assert len(text) < 3000
    await alice.send_to(text_data=text)
    await expect_error(alice, "Frame too large")
    assert await nothing(bob)
    await alice.send_to(text_data=padded_offer(3000, pad_char="€"))
    assert (await receive(bob))["type"] == "OFFER"


def nested(depth: int):
    """A JSON value whose containers nest ``depth`` levels deep."""
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def offer_with_nesting(depth: int) -> str:
    """An OFFER whose payload nests ``depth`` levels deep (built as text: json.dumps would recurse)."""
    metadata = "[" * (depth - 1) + "1" + "]" * (depth - 1)
    return '{"type":"OFFER","dst":"bob","payload":{"connectionId":"dc_1","metadata":' + metadata + "}}"


async def test_payload_nested_up_to_the_limit_is_relayed(sockets):
    alice, bob = await pair(sockets)
    payload = {"connectionId": "dc_1", "metadata": nested(protocol.MAX_PAYLOAD_DEPTH - 1)}
    await send(alice, {"type": "OFFER", "dst": "bob", "payload": payload})
    assert (await receive(bob))["payload"] == payload
    await alice.send_to(text_data=offer_with_nesting(protocol.MAX_PAYLOAD_DEPTH))
    assert (await receive(bob))["type"] == "OFFER"
    assert await nothing(alice)


async def test_payload_nested_too_deeply_gets_error_and_connection_stays_up(sockets, settings):
    """Near Python's recursion limit, json.loads still parses what json.dumps cannot re-encode.

    Every depth from just over the limit to far past the parser's own limit is answered by an
    ERROR, and no such frame may crash the consumer.
    """
    settings.SIGNALING_FRAME_BURST = 1000
    alice, bob = await pair(sockets)
    depths = [protocol.MAX_PAYLOAD_DEPTH + 1, 500, *range(900, 1010), 5000]
    for depth in depths:
        await alice.send_to(text_data=offer_with_nesting(depth))
        await expect_error(alice)
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


async def test_number_too_large_for_a_double_gets_error(sockets):
    """1e400 would be re-encoded as Infinity, which the receiving browser cannot parse."""
    alice, bob = await pair(sockets)
    await alice.send_to(text_data=json.dumps(offer())[:-1] + ', "x": 1e400}')
    await expect_error(alice)
    assert await nothing(bob)
    await assert_still_relays(alice, bob)


# --- flood control ------------------------------------------------------------------------


TOO_MANY = "Too many frames"  # how the ERROR for dropped frames begins


async def received(comm, count: int) -> list:
    """The next ``count`` frames, and then nothing more so far."""
    frames = [await receive(comm) for _ in range(count)]
    assert await comm.receive_nothing(timeout=0), "more frames than expected"
    return frames


def connection_ids(frames: list) -> list[str]:
    return [frame["payload"]["connectionId"] for frame in frames]


def messages(frames: list) -> list[str]:
    """The ERROR frames' messages, cut to TOO_MANY where they say that."""
    assert all(frame["type"] == "ERROR" for frame in frames), frames
    return [TOO_MANY if f["payload"]["msg"].startswith(TOO_MANY) else f["payload"]["msg"] for f in frames]


async def test_flood_is_answered_by_one_error_per_second_and_excess_is_dropped(
    sockets, settings, fake_clock, frames_taken
):
    """With the broker's clock in the test's hands: exactly the burst goes through, then one
    token a second; what is dropped is announced by one ERROR a second, never frame by frame.
    (Few frames are dropped in all: a socket that keeps flooding is closed, another rule.)"""
    settings.SIGNALING_FRAME_BURST = 5
    settings.SIGNALING_FRAMES_PER_SECOND = 1
    alice, bob = await pair(sockets)
    sent = 0

    async def flood(name: str, count: int) -> None:
        nonlocal sent
        for n in range(count):
            await send(alice, offer(connection_id=f"{name}_{n}"))
        sent += count
        await frames_taken.reach(sent)  # alice's consumer has put every one through its limit

    # One instant, 7 frames: the 5 of the bucket are relayed in order, 2 dropped, one ERROR.
    await flood("a", 7)
    assert connection_ids(await received(bob, 5)) == [f"a_{n}" for n in range(5)]
    assert messages(await received(alice, 1)) == [TOO_MANY]

    # Still the same instant: dropped, and the ERROR is not repeated.
    await flood("b", 1)
    assert await received(bob, 0) == []
    assert await received(alice, 0) == []

    # Half a second on: half a token, so still dropped; and no second ERROR within the second.
    fake_clock.advance(0.5)
    await flood("c", 1)
    assert await received(bob, 0) == []
    assert await received(alice, 0) == []

    # A second after the flood began: one token, so one frame goes through (the next one sent,
    # not one of those dropped before), the next is dropped, and a second ERROR is due.
    fake_clock.advance(0.5)
    await flood("d", 2)
    assert connection_ids(await received(bob, 1)) == ["d_0"]
    assert messages(await received(alice, 1)) == [TOO_MANY]

    # Long after: the bucket is full again, never fuller: 5 go through, the 6th is dropped, and
    # that is announced again (more than a second since the last ERROR).
    fake_clock.advance(60)
    await flood("e", 6)
    assert connection_ids(await received(bob, 5)) == [f"e_{n}" for n in range(5)]
    assert messages(await received(alice, 1)) == [TOO_MANY]

    # The connection was never closed: a second on, it relays again.
    fake_clock.advance(1)
    await assert_still_relays(alice, bob)


async def test_rate_limit_applies_to_bad_frames_too(sockets, settings, fake_clock, frames_taken):
    settings.SIGNALING_FRAME_BURST = 3
    settings.SIGNALING_FRAMES_PER_SECOND = 1
    alice, bob = await pair(sockets)
    for _ in range(5):
        await alice.send_to(text_data="not json")
    await frames_taken.reach(5)
    # One ERROR per allowed frame, then a single "Too many frames": a flood is not answered by a flood.
    errors = messages(await received(alice, 4))
    assert ["not valid JSON" in msg for msg in errors[:3]] == [True] * 3
    assert errors[3] == TOO_MANY
    assert await nothing(bob)
    fake_clock.advance(1)
    await alice.send_to(text_data="not json")
    assert "not valid JSON" in await expect_error(alice)  # a token again: answered, not dropped


# --- idle connections ---------------------------------------------------------------------


@pytest.fixture
def production_channel_layer():
    """The channel layer exactly as broker.settings configures it (Redis when REDIS_URL is set)."""
    need("REDIS_URL", "Redis")
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def test_idle_connections_outlive_the_redis_clients_socket_timeout(production_channel_layer, sockets):
    """redis-py 8 times out socket reads after 5 s by default, while channels_redis blocks for 5 s
    waiting for channel messages: without socket_timeout=None in settings, an idle consumer
    crashed with redis.exceptions.TimeoutError (daphne closes such a socket with 1011)."""
    alice, bob = await pair(sockets)
    await asyncio.sleep(6.5)
    assert not alice.future.done()
    assert not bob.future.done()
    await assert_still_relays(alice, bob)
    await assert_still_relays(bob, alice, dst="alice", src="bob")


# --- take-over ----------------------------------------------------------------------------


async def test_second_connection_takes_over_the_first(channel_layer_backend, sockets):
    cookie = await sockets.login("alice")
    old = await sockets.attach(cookie, "alice", token="first")
    bob = await sockets.attach(await sockets.login("bob"), "bob")

    new = await sockets.open(cookie, "alice", token="second")
    assert await receive(new) == {"type": "OPEN"}
    await expect_error(old, "taken over")
    await expect_close(old, CLOSE_TAKEN_OVER)

    # Frames for the handle now reach the new socket only.
    await send(bob, offer(dst="alice", connection_id="dc_new"))
    assert (await receive(new))["payload"]["connectionId"] == "dc_new"
    assert await nothing(old)
    assert await nothing(bob)
    # Frames the old socket still sends are not relayed any more.
    await send(old, offer(dst="bob"))
    assert await nothing(bob)
    assert await nothing(old)


async def test_taken_over_socket_closing_later_does_not_unregister_the_new_one(channel_layer_backend, sockets):
    cookie = await sockets.login("alice")
    old = await sockets.attach(cookie, "alice")
    bob = await sockets.attach(await sockets.login("bob"), "bob")
    new = await sockets.attach(cookie, "alice", token="t2")
    await expect_error(old, "taken over")
    await expect_close(old, CLOSE_TAKEN_OVER)

    await old.disconnect()
    await send(bob, offer(dst="alice"))
    assert (await receive(new))["src"] == "bob"
    assert await nothing(bob)  # no EXPIRE: alice is still here
    assert await nothing(new)


async def test_take_over_works_across_sessions_of_the_same_account(channel_layer_backend, sockets):
    old = await sockets.attach(await sockets.login("alice"), "alice")
    other_session = await sync_to_async(force_login)("alice")
    new = await sockets.attach(other_session, "alice")
    await expect_error(old, "taken over")
    await expect_close(old, CLOSE_TAKEN_OVER)
    assert await nothing(new)


async def test_take_over_announced_by_another_server_process_closes_this_connection(channel_layer_backend, sockets):
    alice, bob = await friends(sockets)
    # What PeerConsumer.connect() in another process sends when @alice attaches there: to the
    # process that held her, naming the connection it displaced.
    here = switchboard.lookup("alice").here
    layer = get_channel_layer()
    await layer.send(here.channel, {"type": "peer.takeover", "to": "alice", "connection": here.connection})
    await expect_error(alice, "taken over")
    await expect_close(alice, CLOSE_TAKEN_OVER)
    # Nobody claimed @alice in the directory here, so this connection's leaving is her leaving.
    assert await receive(bob) == {"type": "PRESENCE", "payload": {"handle": "alice", "online": False}}
    assert await nothing(bob)
    await send(bob, offer(dst="alice"))
    assert await receive(bob) == {"type": "EXPIRE", "src": "alice", "dst": "bob"}


# --- logging out and deleting the account ---------------------------------------------------


def force_login(handle: str) -> str:
    """Another session of an existing account (a second browser)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=handle))
    return f"sessionid={client.cookies['sessionid'].value}"


def browser(cookie: str) -> Client:
    client = Client()
    name, value = cookie.split("=", 1)
    client.cookies[name] = value
    return client


def log_out(cookie: str) -> int:
    return browser(cookie).post("/accounts/logout/").status_code


def delete_account(cookie: str, password: str = PASSWORD) -> int:
    return browser(cookie).post("/accounts/delete/", {"password": password}).status_code


async def test_logout_closes_that_sessions_connection(channel_layer_backend, sockets):
    cookie = await sockets.login("alice")
    alice = await sockets.attach(cookie, "alice")
    bob = await sockets.attach(await sockets.login("bob"), "bob")
    await befriend(alice, "alice", bob, "bob")  # so bob may hear EXPIRE for her
    assert await sync_to_async(log_out)(cookie) == 302
    await expect_error(alice, "logged out")
    await expect_close(alice, CLOSE_LOGGED_OUT)
    assert await receive(bob) == {"type": "PRESENCE", "payload": {"handle": "alice", "online": False}}
    await send(bob, offer(dst="alice"))
    assert await receive(bob) == {"type": "EXPIRE", "src": "alice", "dst": "bob"}


async def test_logout_of_another_session_leaves_this_connection_up(channel_layer_backend, sockets):
    alice, bob = await pair(sockets)
    other_session = await sync_to_async(force_login)("alice")
    assert await sync_to_async(log_out)(other_session) == 302
    assert await nothing(alice)
    await assert_still_relays(alice, bob)
    await assert_still_relays(bob, alice, dst="alice", src="bob")


async def test_logout_leaves_other_accounts_connections_up(channel_layer_backend, sockets):
    alice_cookie = await sockets.login("alice")
    alice = await sockets.attach(alice_cookie, "alice")
    bob = await sockets.attach(await sockets.login("bob"), "bob")
    carol = await sockets.attach(await sockets.login("carol"), "carol")
    await sync_to_async(log_out)(alice_cookie)
    await expect_error(alice, "logged out")
    await expect_close(alice, CLOSE_LOGGED_OUT)
    assert await nothing(bob)
    await assert_still_relays(bob, carol, dst="carol", src="bob")


async def test_logout_receiver_closes_the_connection(channel_layer_backend, sockets):
    """The signal path on its own, as another process's logout would trigger it."""
    cookie = await sockets.login("alice")
    alice = await sockets.attach(cookie, "alice")
    request = SimpleNamespace(session=SimpleNamespace(session_key=cookie.split("=", 1)[1]))
    user = await sync_to_async(get_user_model().objects.get)(username="alice")
    await sync_to_async(user_logged_out.send)(sender=type(user), request=request, user=user)
    await expect_error(alice, "You logged out.")
    await expect_close(alice, CLOSE_LOGGED_OUT)


async def test_wrong_password_does_not_delete_the_account_or_close_the_connection(channel_layer_backend, sockets):
    cookie = await sockets.login("alice")
    alice = await sockets.attach(cookie, "alice")
    assert await sync_to_async(delete_account)(cookie, "not my password") == 200
    assert await nothing(alice)
    assert await sync_to_async(get_user_model().objects.filter(username="alice").exists)()


async def test_deleting_the_account_closes_its_connection(channel_layer_backend, sockets):
    cookie = await sockets.login("alice")
    alice = await sockets.attach(cookie, "alice")
    bob = await sockets.attach(await sockets.login("bob"), "bob")
    await befriend(alice, "alice", bob, "bob")  # so bob may hear EXPIRE for her
    assert await sync_to_async(delete_account)(cookie) == 302
    await expect_error(alice)
    await expect_close(alice, CLOSE_LOGGED_OUT)
    assert await receive(bob) == {"type": "PRESENCE", "payload": {"handle": "alice", "online": False}}
    assert not await sync_to_async(get_user_model().objects.filter(username="alice").exists)()
    await send(bob, offer(dst="alice"))
    assert await receive(bob) == {"type": "EXPIRE", "src": "alice", "dst": "bob"}


async def test_deleting_the_account_from_another_session_closes_this_connection(channel_layer_backend, sockets):
    alice = await sockets.attach(await sockets.login("alice"), "alice")
    other_session = await sync_to_async(force_login)("alice")
    assert await sync_to_async(delete_account)(other_session) == 302
    await expect_error(alice, "This account has been deleted.")
    await expect_close(alice, CLOSE_LOGGED_OUT)


# --- the PeerJS id endpoint -------------------------------------------------------------


def test_id_endpoint_answers_the_logged_in_handle(client, make_user):
    client.force_login(make_user("Alice_1"))
    response = client.get("/peerjs/id")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Alice_1"
    assert "no-cache" in response["Cache-Control"]


def test_id_endpoint_is_401_when_logged_out(client):
    response = client.get("/peerjs/id")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("text/plain")
