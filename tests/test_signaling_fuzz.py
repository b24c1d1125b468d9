"""Property-based tests: arbitrary frames thrown at the real /peerjs consumer.

Each hypothesis example opens fresh WebSockets for "alice" and "bob" (through the real ASGI
app: session and auth middleware, router, consumer) and has alice send a list of generated
frames. A small oracle, written from the protocol notes and independent of signaling.protocol,
says what each frame must lead to; the test checks what both sockets really received against
it, and that no frame crashes or closes the connection (except the legacy LEAVE without dst,
whose meaning is "I am leaving").

Frame handling does not depend on the channel layer (frames between sockets of one process go
through the switchboard), so these run on the in-memory layer only.
"""

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck
from hypothesis import strategies as st

from broker.asgi import application
from signaling.switchboard import switchboard

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
MAX_FRAME_BYTES = 400  # low, so generated frames hit the size limit too
FUZZ = hypothesis.settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- the oracle ---------------------------------------------------------------------------

PEER_ID = re.compile(r"\A[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*\Z")
NEGOTIATION = {"OFFER", "ANSWER", "CANDIDATE"}
NOTICES = {"LEAVE", "EXPIRE"}
CLIENT_TYPES = NEGOTIATION | NOTICES | {"HEARTBEAT"}
MAX_PAYLOAD_DEPTH = 100
# The serializations the PeerJS client has; a data OFFER naming another would throw in bob's page.
SERIALIZATIONS = {"raw", "json", "binary", "binary-utf8"}


def strict_json(text: str) -> Any:
    """JSON as a browser's JSON.parse reads it: NaN, Infinity and overflowing numbers are not JSON."""

    def refuse(token: str) -> float:
        raise ValueError(token)

    def finite(token: str) -> float:
        value = float(token)
        if value in (float("inf"), float("-inf")):
            raise ValueError(token)
        return value

    return json.loads(text, parse_constant=refuse, parse_float=finite)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def is_peer_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 64 and bool(PEER_ID.match(value))


@dataclass(frozen=True)
class Outcome:
    kind: str  # "error", "silent", "close", "relay" or "expire"
    to: str = ""  # relay: the route key of the recipient
    frame: Any = None  # relay: what the recipient must get; expire: the dst as sent


def outcome(frame: str | bytes) -> Outcome:
    """What the server must do with one frame from alice, per the PeerJS protocol and DESIGN.md."""
    if isinstance(frame, bytes):
        return Outcome("error")
    if len(frame.encode("utf-8")) > MAX_FRAME_BYTES:
        return Outcome("error")
    try:
        message = strict_json(frame)
    except (ValueError, RecursionError):
        return Outcome("error")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return Outcome("error")
    kind = message["type"]
    if kind not in CLIENT_TYPES:
        return Outcome("error")
    if kind == "HEARTBEAT":
        return Outcome("silent")
    dst, payload = message.get("dst"), message.get("payload")
    if kind == "LEAVE" and dst is None:
        return Outcome("close")
    if not is_peer_id(dst):
        return Outcome("error")
    if kind in NEGOTIATION:
        connection_id = payload.get("connectionId") if isinstance(payload, dict) else None
        if not isinstance(connection_id, str) or not 0 < len(connection_id) <= 128:
            return Outcome("error")
        if kind == "OFFER" and payload.get("type") == "data" and payload.get("serialization") not in SERIALIZATIONS:
            return Outcome("error")
    if depth(payload) > MAX_PAYLOAD_DEPTH:
        return Outcome("error")
    key = dst.lower()
    if key in ("alice", "bob"):
        relayed = {"type": kind, "src": "alice", "dst": dst}
        if payload is not None:
            relayed["payload"] = payload
        return Outcome("relay", key, relayed)
    if kind in NOTICES:
        return Outcome("silent")
    connection_id = payload.get("connectionId", "") if isinstance(payload, dict) else ""
    return Outcome("expire", f"{key} {connection_id}", dst)


@dataclass
class Expected:
    alice: list  # "ERROR" for an ERROR frame, else the exact frame
    bob: list
    closes: bool
    sent: list  # the frames to send: those after a closing frame are not sent


def expected(frames: list[str | bytes]) -> Expected:
    alice: list = []
    bob: list = []
    expired: set[str] = set()
    sent = []
    for frame in frames:
        sent.append(frame)
        result = outcome(frame)
        if result.kind == "error":
            alice.append("ERROR")
        elif result.kind == "close":
            return Expected(alice, bob, True, sent)
        elif result.kind == "relay":
            (bob if result.to == "bob" else alice).append(result.frame)
        elif result.kind == "expire" and result.to not in expired:
            # One EXPIRE per connection attempt (absent peer and connection id): an example runs
            # far quicker than the server's 5 s memory of it.
            expired.add(result.to)
            alice.append({"type": "EXPIRE", "src": result.frame, "dst": "alice"})
    return Expected(alice, bob, False, sent)


# --- the frames ---------------------------------------------------------------------------

REAL_TYPES = ["OFFER", "ANSWER", "CANDIDATE", "LEAVE", "EXPIRE", "HEARTBEAT", "OPEN", "ERROR", "ID-TAKEN"]

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities too: json.dumps writes them as NaN/Infinity, which is not JSON
    st.text(max_size=20),
)
json_value = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
JUNK_TYPES = ["offer", "Offer", "HEARTBEAT ", "WATCHX", ""]
types = st.one_of(st.sampled_from(REAL_TYPES), st.sampled_from(JUNK_TYPES), st.text(max_size=10), json_value)
dsts = st.one_of(
    st.sampled_from(["bob", "Bob", "BOB", "alice", "carol", "Carol", "dave_2", "b-o", "x y"]),
    st.sampled_from(["bob ", " bob", "bob!", "b" * 65, "", "ſam", "bob\n"]),
    st.text(max_size=12),
    json_value,
)
connection_ids = st.one_of(st.sampled_from(["dc_1", "mc_x8", ""]), st.text(max_size=12), st.just("c" * 129), json_value)
payloads = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "connectionId": connection_ids,
            "sdp": st.fixed_dictionaries({"type": st.sampled_from(["offer", "answer"]), "sdp": st.text(max_size=30)}),
            "type": st.sampled_from(["data", "media"]),
            "metadata": json_value,
        },
    ),
    json_value,
)
junk_objects = st.fixed_dictionaries(
    {},
    optional={
        "type": types,
        "dst": dsts,
        "src": st.one_of(st.just("mallory"), st.just("bob"), json_value),
        "payload": payloads,
        "extra": json_value,
    },
)
# Frames a PeerJS client could send, with a spoofed src and extra keys now and then: these
# are the ones relayed or answered by EXPIRE, so they must be common.
good_objects = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["OFFER", "ANSWER", "CANDIDATE", "OFFER", "LEAVE", "EXPIRE", "HEARTBEAT"]),
        "dst": st.sampled_from(["bob", "Bob", "BOB", "alice", "carol", "Carol", "dave_2", "e-1", "f g"]),
        "payload": st.fixed_dictionaries(
            {"connectionId": st.one_of(st.sampled_from(["dc_1", "mc_x8"]), st.text(min_size=1, max_size=20))},
            optional={
                "sdp": st.fixed_dictionaries({"type": st.just("offer"), "sdp": st.text(max_size=30)}),
                "type": st.sampled_from(["data", "media"]),
                "metadata": json_value,
            },
        ),
    },
    optional={"src": st.sampled_from(["mallory", "bob", "alice"]), "version": st.just("1.5.5"), "extra": json_value},
)


def as_text(objects):
    return st.builds(lambda obj, ascii_only: json.dumps(obj, ensure_ascii=ascii_only), objects, st.booleans())


frames_strategy = st.lists(
    st.one_of(
        as_text(good_objects),
        as_text(good_objects),
        as_text(junk_objects),
        json_value.map(json.dumps),  # JSON that is not an object
        st.text(min_size=1, max_size=60),  # anything at all
        st.sampled_from(['{"type":"OFFER"', "{}", "[]", "null", '{"type":"HEARTBEAT"}', '{"type":"LEAVE"}']),
        st.binary(min_size=1, max_size=20),
    ),
    max_size=30,
)


# --- driving the real consumer --------------------------------------------------------------


@pytest.fixture
def cookies(session_cookie, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield {"alice": session_cookie("alice"), "bob": session_cookie("bob")}
    channel_layers.backends.clear()


async def attach(cookie: str, peer_id: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(
        application,
        f"/peerjs?key=peerjs&id={peer_id}&token=fuzz",
        headers=[(b"cookie", cookie.encode()), ORIGIN],
    )
    connected, _ = await comm.connect()
    assert connected
    assert strict_json(await comm.receive_from()) == {"type": "OPEN"}
    return comm


async def send(comm: WebsocketCommunicator, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        await comm.send_to(bytes_data=frame)
    else:
        await comm.send_to(text_data=frame)


async def pending(comm: WebsocketCommunicator) -> list[dict]:
    """Every message the socket has been sent so far, without waiting."""
    messages = []
    while not await comm.receive_nothing(timeout=0):
        messages.append(await comm.receive_output())
    return messages


def text_of(message: dict) -> str:
    assert message["type"] == "websocket.send", f"the connection was closed: {message}"
    assert "bytes" not in message, "the server sent a binary frame"
    return message["text"]


def as_seen_by_alice(message: dict) -> Any:
    frame = strict_json(text_of(message))
    assert isinstance(frame, dict)
    if frame.get("type") == "ERROR":
        assert set(frame) == {"type", "payload"}
        assert set(frame["payload"]) == {"msg"}
        assert isinstance(frame["payload"]["msg"], str)
        assert frame["payload"]["msg"]
        return "ERROR"
    # Otherwise an EXPIRE, or a frame alice addressed to herself; never anything else.
    assert frame["type"] == "EXPIRE" or frame["src"] == "alice", frame
    return frame


async def close_both(*comms: WebsocketCommunicator) -> None:
    for comm in comms:
        if not comm.future.done():
            await comm.disconnect()
        else:
            comm.future.result()  # raises what crashed the consumer
    assert len(switchboard) == 0


async def throw_frames(cookies: dict, frames: list[str | bytes]) -> None:
    channel_layers.backends.clear()  # a fresh layer for this example's event loop
    want = expected(frames)
    alice = await attach(cookies["alice"], "alice")
    bob = await attach(cookies["bob"], "bob")
    try:
        for frame in want.sent:
            await send(alice, frame)

        if want.closes:
            received = []
            while True:
                message = await alice.receive_output(timeout=2)
                if message["type"] == "websocket.close":
                    assert message.get("code", 1000) == 1000
                    break
                received.append(as_seen_by_alice(message))
            assert received == want.alice
            bob_frames = [strict_json(text_of(m)) for m in await pending(bob)]
        else:
            # A last good frame: once bob has it, alice's consumer has handled every frame before.
            sentinel = {"type": "OFFER", "dst": "bob", "payload": {"connectionId": "sentinel"}}
            await send(alice, json.dumps(sentinel))
            bob_frames = []
            while True:
                frame = strict_json(await bob.receive_from(timeout=2))
                if frame.get("payload") == {"connectionId": "sentinel"}:
                    assert frame == {**sentinel, "src": "alice"}
                    break
                bob_frames.append(frame)
            assert [as_seen_by_alice(m) for m in await pending(alice)] == want.alice
            assert not alice.future.done(), "the consumer stopped"

        for frame in bob_frames:
            assert frame["src"] == "alice"  # never forged
        assert bob_frames == want.bob
        assert await bob.receive_nothing(timeout=0)
    finally:
        await close_both(alice, bob)


@FUZZ
@hypothesis.given(frames=frames_strategy)
def test_arbitrary_frames_never_crash_close_or_forge(cookies, settings, frames):
    settings.SIGNALING_FRAME_BURST = 10_000  # the rate limit must not mask the other paths
    settings.SIGNALING_MAX_FRAME_BYTES = MAX_FRAME_BYTES
    kinds = {outcome(frame).kind for frame in expected(frames).sent}
    for kind in sorted(kinds):
        hypothesis.event(f"example has frame outcome: {kind}")
    async_to_sync(throw_frames)(cookies, frames)


# --- floods -------------------------------------------------------------------------------


async def flood(cookies: dict, burst: int, count: int) -> None:
    channel_layers.backends.clear()
    alice = await attach(cookies["alice"], "alice")
    bob = await attach(cookies["bob"], "bob")
    try:
        started = time.monotonic()
        for n in range(count):
            frame = {"type": "CANDIDATE", "dst": "bob", "payload": {"connectionId": f"dc_{n}"}}
            await send(alice, json.dumps(frame))
        # The first `burst` frames are relayed at once; wait for them, then for any stragglers.
        relayed = [strict_json(await bob.receive_from(timeout=2)) for _ in range(min(count, burst))]
        await bob.receive_nothing(timeout=0.05)
        relayed += [strict_json(text_of(m)) for m in await pending(bob)]
        await alice.receive_nothing(timeout=0.05)
        alice_frames = [as_seen_by_alice(m) for m in await pending(alice)]
        elapsed = time.monotonic() - started

        numbers = [int(f["payload"]["connectionId"][3:]) for f in relayed]
        assert all(f["src"] == "alice" for f in relayed)
        assert numbers[: min(count, burst)] == list(range(min(count, burst)))
        assert numbers == sorted(set(numbers))
        assert len(relayed) <= burst + int(elapsed * 1)  # FRAMES_PER_SECOND is 1
        # Dropping is announced once a second, never frame by frame; nothing else is said.
        assert all(f == "ERROR" for f in alice_frames)
        dropped = count - len(relayed)
        assert (len(alice_frames) >= 1) == (dropped > 0)
        assert len(alice_frames) <= 1 + int(elapsed)
        assert not alice.future.done()
    finally:
        await close_both(alice, bob)


@hypothesis.settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@hypothesis.given(burst=st.integers(min_value=1, max_value=8), count=st.integers(min_value=0, max_value=40))
def test_floods_are_cut_to_the_burst_and_announced_once(cookies, settings, burst, count):
    settings.SIGNALING_FRAME_BURST = burst
    settings.SIGNALING_FRAMES_PER_SECOND = 1
    async_to_sync(flood)(cookies, burst, count)
