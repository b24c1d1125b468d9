"""Property-based tests: arbitrary frames thrown at the real /peerjs consumer.

Each hypothesis example opens fresh WebSockets for "alice" and "bob" (through the real ASGI
app: session and auth middleware, router, consumer); bob may first WATCH a list of handles
(alice or not), then alice sends a list of generated frames, WATCH frames among them. A small
model, written from the protocol notes and independent of signaling.protocol, says what each
frame must lead to; the test checks what both sockets really received against it, and that no
frame crashes or closes the connection (except the legacy LEAVE without dst, whose meaning is
"I am leaving").

The rules the model follows (DESIGN.md, and the relay rules of signaling.consumer):
- a bad frame (also a malformed WATCH) gets ERROR and the connection lives on;
- PRESENCE notices pass only between handles that watch each other: never about a handle
  that does not watch back;
- an OFFER to a handle that is not a friend (both watch each other) uses one of a few
  distinct "stranger dials"; ANSWER and CANDIDATE are relayed only on a connection id an
  OFFER opened; a frame refused by those rules gets one ERROR a second at most;
- EXPIRE is said only to friends about absent friends (here, only alice and bob are online).

The broker's clock (``signaling.limits.clock``) stands still during an example, so nothing
depends on how fast it runs. Frame handling does not depend on the channel layer (frames
between sockets of one process go through the switchboard), so these run on the in-memory
layer only.
"""

import json
import re
from dataclasses import dataclass, field
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
HOST = (b"host", b"127.0.0.1:8000")
MAX_FRAME_BYTES = 400  # low, so generated frames hit the size limit too
WATCH_FRAME_BYTES = 16 * 1024  # high enough for the longest generated WATCH list
FUZZ = hypothesis.settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- the oracle ---------------------------------------------------------------------------

PEER_ID = re.compile(r"\A[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*\Z")
NEGOTIATION = {"OFFER", "ANSWER", "CANDIDATE"}
NOTICES = {"LEAVE", "EXPIRE"}
CLIENT_TYPES = NEGOTIATION | NOTICES | {"HEARTBEAT", "WATCH"}
MAX_PAYLOAD_DEPTH = 100
MAX_WATCHED = 1000
STRANGER_DIALS = 3  # settings.SIGNALING_STRANGER_DIALS_PER_MINUTE in these tests
ONLINE = ("alice", "bob")
# A data OFFER must name its serializer as a plain name, and none that every JavaScript object
# has (the recipient's page looks it up in an object).
SERIALIZATION = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
PROTOTYPE_NAMES = {
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
}
# bob's OFFER that tells the test bob's WATCH has been handled; it opens this negotiation.
BOB_READY = "bob_ready"


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


def presence(handle: str, online: bool) -> dict:
    return {"type": "PRESENCE", "payload": {"handle": handle, "online": online}}


@dataclass
class Model:
    """What alice's and bob's sockets must receive, frame by frame (route keys are lower case)."""

    max_bytes: int
    bob_watches: frozenset[str] | None  # bob's WATCH before alice's frames (None: he sent none)
    alice: list = field(default_factory=list)  # "ERROR" for an ERROR frame, else the exact frame
    bob: list = field(default_factory=list)
    closes: bool = False
    sent: list = field(default_factory=list)  # the frames to send: none after a closing one
    watching: frozenset[str] = frozenset()  # alice's last good WATCH
    watched: bool = False
    dialled: set[str] = field(default_factory=set)  # strangers (handles) alice has dialled
    negotiations: dict = field(default_factory=lambda: {("bob", BOB_READY): True})  # (key, id) -> friend
    refusal_said: bool = False

    @property
    def bob_watches_alice(self) -> bool:
        return self.bob_watches is not None and "alice" in self.bob_watches

    def friend(self, key: str) -> bool:
        """Do alice and ``key`` watch each other?"""
        if key == "alice":
            return "alice" in self.watching
        return key == "bob" and self.bob_watches_alice and "bob" in self.watching

    def deliver(self, key: str, frame: dict) -> None:
        (self.bob if key == "bob" else self.alice).append(frame)

    def refuse(self) -> None:
        if not self.refusal_said:  # once a second at most, and the clock stands still
            self.refusal_said = True
            self.alice.append("ERROR")

    def watch(self, keys: frozenset[str]) -> None:
        fresh, self.watched = not self.watched, True
        before, after = self.watching - {"alice"}, keys - {"alice"}
        self.watching = keys
        if not self.bob_watches_alice:
            return  # bob does not watch alice back: neither hears anything of the other
        if "bob" in after and (fresh or "bob" not in before):
            self.alice.append(presence("bob", True))
        if "bob" in after and "bob" not in before:
            self.bob.append(presence("alice", True))
        elif "bob" in before and "bob" not in after:
            self.bob.append(presence("alice", False))

    def leave(self) -> None:
        """alice has gone: bob hears it if they watched each other."""
        self.closes = True
        if self.bob_watches_alice and "bob" in self.watching:
            self.bob.append(presence("alice", False))

    def step(self, frame: str | bytes) -> str:
        """Applies one frame from alice; returns what kind of outcome it had."""
        self.sent.append(frame)
        if isinstance(frame, bytes) or len(frame.encode("utf-8")) > self.max_bytes:
            self.alice.append("ERROR")
            return "error"
        try:
            message = strict_json(frame)
        except (ValueError, RecursionError):
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if not isinstance(kind, str) or kind not in CLIENT_TYPES:
            self.alice.append("ERROR")
            return "error"
        if kind == "HEARTBEAT":
            return "silent"
        payload = message.get("payload")
        if kind == "WATCH":
            handles = payload.get("handles") if isinstance(payload, dict) else None
            if not isinstance(handles, list) or len(handles) > MAX_WATCHED or not all(map(is_peer_id, handles)):
                self.alice.append("ERROR")
                return "bad watch"
            self.watch(frozenset(h.lower() for h in handles))
            return "watch"
        dst = message.get("dst")
        if kind == "LEAVE" and dst is None:
            self.leave()
            return "close"
        if not is_peer_id(dst):
            self.alice.append("ERROR")
            return "error"
        if kind in NEGOTIATION:
            connection_id = payload.get("connectionId") if isinstance(payload, dict) else None
            if not isinstance(connection_id, str) or not 0 < len(connection_id) <= 128:
                self.alice.append("ERROR")
                return "error"
            if kind == "OFFER" and payload.get("type") == "data":
                name = payload.get("serialization")
                if not isinstance(name, str) or not SERIALIZATION.match(name) or name in PROTOTYPE_NAMES:
                    self.alice.append("ERROR")
                    return "error"
        if depth(payload) > MAX_PAYLOAD_DEPTH:
            self.alice.append("ERROR")
            return "error"
        key = dst.lower()
        relayed = {"type": kind, "src": "alice", "dst": dst}
        if payload is not None:
            relayed["payload"] = payload
        if kind in NOTICES:  # relayed if the handle is online, never answered
            if key in ONLINE:
                self.deliver(key, relayed)
                return "relay"
            return "silent"
        connection_id = payload["connectionId"]
        if kind == "OFFER":
            friend = self.friend(key)
            person = key.partition("-")[0]  # a stranger's devices are one person to dial
            if not friend and person not in self.dialled:
                if len(self.dialled) >= STRANGER_DIALS:
                    self.refuse()
                    return "refused dial"
                self.dialled.add(person)
            self.negotiations[(key, connection_id)] = friend
            if key not in ONLINE:
                return "silent"  # only a friend hears EXPIRE, and only alice and bob watch anyone
            if key == "alice":  # alice offered to herself: she is the callee too
                self.negotiations[(key, connection_id)] = True
            self.deliver(key, relayed)
            return "relay"
        if (key, connection_id) not in self.negotiations:
            self.refuse()
            return "refused negotiation"
        if key in ONLINE:
            self.deliver(key, relayed)
            return "relay"
        return "silent"  # a stranger's absence is never told


def expected(frames: list[str | bytes], max_bytes: int, bob_watches: frozenset[str] | None) -> tuple[Model, list]:
    model = Model(max_bytes, bob_watches)
    kinds = []
    for frame in frames:
        kinds.append(model.step(frame))
        if model.closes:
            break
    return model, kinds


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
                "type": st.sampled_from(["data", "data", "media"]),
                "serialization": st.one_of(
                    st.sampled_from(["binary", "json", "raw", "binary-utf8", "MsgPack"]),
                    st.sampled_from(["constructor", "__proto__", "toString", "", "9x", "a b"]),
                    st.text(max_size=8),
                ),
                "metadata": json_value,
            },
        ),
    },
    optional={"src": st.sampled_from(["mallory", "bob", "alice"]), "version": st.just("1.5.5"), "extra": json_value},
)
# WATCH frames: good lists (alice may name bob, herself, strangers, in any letter case) and bad
# ones: handles that are no list, entries that are no peer id, too many of them.
WATCHABLE = ["bob", "Bob", "BOB", "alice", "Alice", "carol", "dave_2", "e-1"]
NOT_PEER_IDS = st.one_of(
    st.sampled_from(["bob!", "", " bob", "bob ", "b" * 65, "ſam", "bob\n"]), st.integers(), st.none(), json_value
)
watch_lists = st.one_of(
    st.lists(st.sampled_from(WATCHABLE), max_size=4).map(lambda handles: [*handles, "bob"]),  # names bob
    st.lists(st.sampled_from(WATCHABLE), max_size=4),
    st.lists(st.one_of(st.sampled_from(WATCHABLE), NOT_PEER_IDS), min_size=1, max_size=5),
    json_value,  # mostly not a list at all
)
watch_objects = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("WATCH"),
            "payload": st.fixed_dictionaries({"handles": watch_lists}, optional={"x": json_value}),
        },
        optional={"dst": dsts, "src": st.sampled_from(["bob", "mallory"])},
    ),
    st.fixed_dictionaries({"type": st.just("WATCH")}, optional={"payload": json_value}),
)
# Good WATCH frames only, which often name bob (in some letter case): friendship comes and goes.
good_watches = st.builds(
    lambda handles: json.dumps({"type": "WATCH", "payload": {"handles": handles}}),
    st.lists(st.sampled_from(["bob", "Bob", "BOB", "alice", "carol"]), max_size=3),
)
# Just over and just under the limit on the number of handles (big frames: see the second test).
long_watch_lists = st.builds(
    lambda count, handle: json.dumps({"type": "WATCH", "payload": {"handles": [handle] * count}}),
    st.sampled_from([MAX_WATCHED, MAX_WATCHED + 1, 1500]),
    st.sampled_from(["bob", "x"]),
)
# OFFERs a PeerJS client sends to someone who may be a stranger: each new one uses a dial.
dials = st.fixed_dictionaries(
    {
        "type": st.just("OFFER"),
        "dst": st.sampled_from(["carol", "dave_2", "e-1", "f g", "Zed", "bob", "alice"]),
        "payload": st.fixed_dictionaries({"connectionId": st.sampled_from(["dc_1", "mc_2"]), "type": st.just("media")}),
    }
)
# What bob watches before alice sends anything: alice (a friend, if she watches him back) or not.
bob_watch_lists = st.sampled_from([None, [], ["alice"], ["Alice"], ["ALICE", "carol"], ["carol"]])
bob_watches_alice_mostly = st.sampled_from([["alice"], ["Alice", "carol"], ["ALICE"], ["carol"], [], None])


def as_text(objects):
    return st.builds(lambda obj, ascii_only: json.dumps(obj, ensure_ascii=ascii_only), objects, st.booleans())


frames_strategy = st.lists(
    st.one_of(
        as_text(good_objects),
        as_text(good_objects),
        as_text(watch_objects),
        as_text(dials),
        as_text(junk_objects),
        json_value.map(json.dumps),  # JSON that is not an object
        st.text(min_size=1, max_size=60),  # anything at all
        st.sampled_from(['{"type":"OFFER"', "{}", "[]", "null", '{"type":"HEARTBEAT"}', '{"type":"LEAVE"}']),
        st.sampled_from(['{"type":"WATCH"}', '{"type":"WATCH","payload":{"handles":"bob"}}']),
        st.binary(min_size=1, max_size=20),
    ),
    max_size=30,
)
# Mostly WATCH frames, with offers and answers between them, so friendship comes and goes.
watch_frames_strategy = st.lists(
    st.one_of(
        good_watches,
        good_watches,
        as_text(watch_objects),
        long_watch_lists,
        as_text(good_objects),
        as_text(dials),
    ),
    max_size=20,
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
        headers=[(b"cookie", cookie.encode()), ORIGIN, HOST],
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
    if frame.get("type") == "PRESENCE":  # only ever about bob, the one other handle online
        assert frame in (presence("bob", True), presence("bob", False)), frame
        return frame
    # Otherwise an EXPIRE, or a frame alice addressed to herself; never anything else.
    assert frame["type"] == "EXPIRE" or frame["src"] == "alice", frame
    return frame


def as_seen_by_bob(frame: dict) -> dict:
    if frame.get("type") == "PRESENCE":
        assert frame in (presence("alice", True), presence("alice", False)), frame
    else:
        assert frame["src"] == "alice", frame  # never forged
    return frame


async def close_both(*comms: WebsocketCommunicator) -> None:
    for comm in comms:
        if not comm.future.done():
            await comm.disconnect()
        else:
            comm.future.result()  # raises what crashed the consumer
    assert len(switchboard) == 0


async def throw_frames(cookies: dict, frames: list[str | bytes], want: Model) -> None:
    channel_layers.backends.clear()  # a fresh layer for this example's event loop
    alice = await attach(cookies["alice"], "alice")
    bob = await attach(cookies["bob"], "bob")
    try:
        if want.bob_watches is not None:
            await send(bob, json.dumps({"type": "WATCH", "payload": {"handles": sorted(want.bob_watches)}}))
        # Once alice has bob's OFFER, bob's consumer has handled his WATCH too.
        await send(bob, json.dumps({"type": "OFFER", "dst": "alice", "payload": {"connectionId": BOB_READY}}))
        assert strict_json(await alice.receive_from(timeout=2))["payload"] == {"connectionId": BOB_READY}

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
            await alice.disconnect()  # returns once alice's consumer has ended: bob was told, if at all
            bob_frames = [strict_json(text_of(m)) for m in await pending(bob)]
        else:
            # A last frame that is always relayed (a notice needs no negotiation nor a dial):
            # once bob has it, alice's consumer has handled every frame before.
            sentinel = {"type": "LEAVE", "dst": "bob", "payload": {"connectionId": "sentinel"}}
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

        assert [as_seen_by_bob(frame) for frame in bob_frames] == want.bob
        assert await bob.receive_nothing(timeout=0)
    finally:
        await close_both(alice, bob)


@pytest.fixture
def fuzz_settings(settings, fake_clock):
    """The broker's clock stands still (see the module's docstring); these limits apply."""
    settings.SIGNALING_FRAME_BURST = 10_000  # the rate limit must not mask the other paths
    settings.SIGNALING_STRANGER_DIALS_PER_MINUTE = STRANGER_DIALS
    return settings


def run_example(cookies, frames, max_bytes: int, bob_watch: list[str] | None) -> None:
    bob_watches = None if bob_watch is None else frozenset(h.lower() for h in bob_watch)
    want, kinds = expected(frames, max_bytes, bob_watches)
    for kind in sorted(set(kinds)):
        hypothesis.event(f"example has frame outcome: {kind}")
    if want.bob_watches_alice and "bob" in want.watching:
        hypothesis.event("alice and bob end as friends")
    if any(isinstance(frame, dict) and frame["type"] == "PRESENCE" for frame in want.alice + want.bob):
        hypothesis.event("someone is told of presence")
    async_to_sync(throw_frames)(cookies, frames, want)


@FUZZ
@hypothesis.given(frames=frames_strategy, bob_watch=bob_watch_lists)
def test_arbitrary_frames_never_crash_close_or_forge(cookies, fuzz_settings, frames, bob_watch):
    fuzz_settings.SIGNALING_MAX_FRAME_BYTES = MAX_FRAME_BYTES
    run_example(cookies, frames, MAX_FRAME_BYTES, bob_watch)


@hypothesis.settings(FUZZ, max_examples=200)
@hypothesis.given(frames=watch_frames_strategy, bob_watch=bob_watches_alice_mostly)
def test_presence_passes_only_between_mutual_watchers(cookies, fuzz_settings, frames, bob_watch):
    """WATCH lists of every kind, with a frame limit that lets a list of 1,001 handles through."""
    fuzz_settings.SIGNALING_MAX_FRAME_BYTES = WATCH_FRAME_BYTES
    run_example(cookies, frames, WATCH_FRAME_BYTES, bob_watch)


# --- floods -------------------------------------------------------------------------------


async def flood(cookies: dict, burst: int, count: int) -> None:
    channel_layers.backends.clear()
    alice = await attach(cookies["alice"], "alice")
    bob = await attach(cookies["bob"], "bob")
    try:
        for n in range(count):
            frame = {"type": "OFFER", "dst": "bob", "payload": {"connectionId": f"dc_{n}"}}
            await send(alice, json.dumps(frame))
        # Returns once alice's consumer has handled every frame (they come before the disconnect).
        await alice.disconnect()
        relayed = [strict_json(text_of(m)) for m in await pending(bob)]
        said = await pending(alice)

        # The broker's clock stood still: exactly the burst went through, in order.
        assert [f["payload"]["connectionId"] for f in relayed] == [f"dc_{n}" for n in range(min(count, burst))]
        assert all(f["src"] == "alice" for f in relayed)
        dropped = count - len(relayed)
        closed = [m for m in said if m["type"] == "websocket.close"]
        frames = [as_seen_by_alice(m) for m in said if m["type"] != "websocket.close"]
        # Dropping is announced once (a second, and the clock stood still), never frame by frame;
        # a socket that keeps flooding may be closed after one last ERROR saying so.
        assert frames == (["ERROR"] * (1 + len(closed)) if dropped else [])
        if closed:
            assert said[-1] == closed[0] and closed[0]["code"] >= 4000, said
            assert dropped > 1, "one frame over the burst is no reason to close"
    finally:
        await close_both(alice, bob)


@hypothesis.settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@hypothesis.given(burst=st.integers(min_value=1, max_value=8), count=st.integers(min_value=0, max_value=40))
def test_floods_are_cut_to_the_burst_and_announced_once(cookies, settings, fake_clock, burst, count):
    settings.SIGNALING_FRAME_BURST = burst
    settings.SIGNALING_FRAMES_PER_SECOND = 1
    async_to_sync(flood)(cookies, burst, count)
