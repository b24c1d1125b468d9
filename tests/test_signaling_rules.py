"""The relay's rules that a stranger, a hostile friend or a flood would try to get around.

Every test drives the real ASGI app (``broker.asgi.application``) through Channels'
``WebsocketCommunicator``; where a rule spans processes it also runs on the real Redis. Time is
the consumer's own ``signaling.limits.clock``, replaced by a clock the test moves: nothing here
asserts how long anything took.
"""

import asyncio
import gc
import json
import tracemalloc

import pytest

from signaling import limits
from signaling.consumer import TOO_MANY_FRAMES
from signaling.switchboard import addresses, switchboard
from tests.sockets import expect_error, negotiation, nothing, offer, receive, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_password_hasher")]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(limits, "clock", fake)
    return fake


# --- src is the account's own spelling ------------------------------------------------


@pytest.mark.parametrize("variant", ["BOB", "Bob", "bOb"])
async def test_another_spelling_of_ones_handle_is_refused_and_never_relayed(net, variant):
    alice = await net.attach("alice")
    bob = await net.open("bob", peer_id=variant)
    await expect_error(bob, "'bob'")
    assert await bob.receive_output(timeout=2) == {"type": "websocket.close", "code": 4001}
    await send(bob, offer("alice"))
    assert await nothing(alice)
    assert switchboard.lookup("bob") is None


# --- ANSWER and CANDIDATE only inside an offered negotiation -----------------------------


@pytest.mark.usefixtures("channel_layer_backend")
async def test_a_strangers_candidates_and_answers_for_unknown_connections_are_not_relayed(net, clock):
    victim = await net.attach("victim")
    mallory = await net.attach("mallory")
    for i in range(50):
        await send(mallory, negotiation("CANDIDATE", "victim", f"dc_junk{i}"))
        await send(mallory, negotiation("ANSWER", "victim", f"dc_junk{i}"))
    await expect_error(mallory, "never offered")
    assert await nothing(mallory)  # one refusal a second, not one per frame
    assert await nothing(victim)


@pytest.mark.usefixtures("channel_layer_backend")
async def test_after_an_offer_both_sides_negotiate_on_that_connection_id(net):
    alice, bob = await net.friends("alice", "bob")
    await send(alice, offer("bob", "dc_ok"))
    assert (await receive(bob))["type"] == "OFFER"
    await send(bob, negotiation("ANSWER", "alice", "dc_ok"))
    got = await receive(alice)
    assert (got["type"], got["src"]) == ("ANSWER", "bob")
    await send(bob, negotiation("CANDIDATE", "alice", "dc_ok"))
    assert (await receive(alice))["type"] == "CANDIDATE"
    await send(alice, negotiation("CANDIDATE", "bob", "dc_ok"))
    assert (await receive(bob))["type"] == "CANDIDATE"
    # Another connection id was never offered: not relayed, either way.
    await send(bob, negotiation("CANDIDATE", "alice", "dc_other"))
    await expect_error(bob, "never offered")
    assert await nothing(alice)


async def test_a_victims_tab_receives_nothing_from_candidate_spam(net, clock):
    """What the PeerJS client would pile up in _lostMessages: the broker lets none of it through."""
    victim = await net.attach("victim")
    mallory = await net.attach("mallory")
    for second in range(5):
        clock.now += 1
        for i in range(40):
            await send(mallory, negotiation("CANDIDATE", "victim", f"dc_{second}_{i}"))
    assert await nothing(victim)


# --- presence is no oracle for strangers ---------------------------------------------------


@pytest.mark.usefixtures("channel_layer_backend")
async def test_a_stranger_cannot_tell_offline_from_online_but_silent(net):
    online = await net.attach("online")
    mallory = await net.attach("mallory")
    await send(mallory, offer("online", "dc_a"))
    await send(mallory, negotiation("CANDIDATE", "online", "dc_a"))
    heard_online = await mallory.receive_nothing(timeout=0.3)
    await send(mallory, offer("offline", "dc_b"))
    await send(mallory, negotiation("CANDIDATE", "offline", "dc_b"))
    heard_offline = await mallory.receive_nothing(timeout=0.3)
    assert heard_online and heard_offline  # the broker says nothing either way
    assert (await receive(online))["type"] == "OFFER"  # the ring reached the online app


@pytest.mark.usefixtures("channel_layer_backend")
async def test_a_friend_still_hears_expire_at_once_for_an_offline_friend(net):
    alice, bob = await net.friends("alice", "bob")
    await bob.disconnect()
    assert (await receive(alice))["payload"] == {"handle": "bob", "online": False}
    await send(alice, offer("bob", "dc_late"))
    assert await receive(alice) == {"type": "EXPIRE", "src": "bob", "dst": "alice"}


async def test_dials_to_strangers_are_limited_per_sender_to_a_few_distinct_handles_a_minute(net, clock, settings):
    settings.SIGNALING_STRANGER_DIALS_PER_MINUTE = 3
    mallory = await net.attach("mallory")
    for i in range(3):
        await send(mallory, offer(f"target{i}", f"dc_{i}"))
        await send(mallory, offer(f"target{i}", f"dc_again{i}"))  # the same stranger again is free
    assert await nothing(mallory)
    await send(mallory, offer("target3", "dc_3"))
    await expect_error(mallory, "not your friends")
    friend = await net.attach("friend", watch=["mallory"])
    await send(mallory, {"type": "WATCH", "payload": {"handles": ["friend"]}})
    assert (await receive(mallory))["payload"] == {"handle": "friend", "online": True}
    assert (await receive(friend))["payload"] == {"handle": "mallory", "online": True}
    await send(mallory, offer("friend", "dc_f"))  # friends are never limited
    assert (await receive(friend))["type"] == "OFFER"
    clock.now += 61
    target = await net.attach("target3")
    await send(mallory, offer("target3", "dc_later"))
    assert (await receive(target))["type"] == "OFFER"


# --- the official client's serializations -----------------------------------------------------


@pytest.mark.parametrize("name", ["MsgPack", "default", "binary-utf8", "json", "raw", "my_custom-v2"])
async def test_offers_naming_any_serializer_are_relayed(net, name):
    alice, bob = await net.friends("alice", "bob")
    await send(alice, offer("bob", "dc_s", serialization=name))
    assert (await receive(bob))["payload"]["serialization"] == name


@pytest.mark.parametrize("name", ["__proto__", "constructor", "toString", "a b", "", "1abc", "x" * 65, 7, None])
async def test_offers_naming_no_possible_serializer_are_refused(net, name):
    alice, bob = await net.friends("alice", "bob")
    await send(alice, offer("bob", "dc_s", serialization=name))
    await expect_error(alice, "serialization")
    assert await nothing(bob)


# --- closing always cleans up ----------------------------------------------------------------


@pytest.mark.usefixtures("channel_layer_backend")
async def test_legacy_leave_followed_by_more_frames_never_crashes_nor_leaves_a_ghost(net):
    bob = await net.attach("bob", watch=["alice"])
    for round_ in range(10):
        alice = await net.attach("alice", watch=["bob"])
        assert (await receive(alice))["payload"] == {"handle": "bob", "online": True}
        assert (await receive(bob))["payload"] == {"handle": "alice", "online": True}
        await send(alice, {"type": "LEAVE"})
        for i in range(5):
            await send(alice, offer("bob", f"dc_{round_}_{i}"))
            await send(alice, {"type": "HEARTBEAT"})
        assert (await receive(bob))["payload"] == {"handle": "alice", "online": False}
        assert await alice.receive_output(timeout=2) == {"type": "websocket.close", "code": 1000}
        await alice.disconnect()
        alice.future.result()  # the consumer ended cleanly
        assert switchboard.lookup("alice") is None
        assert await nothing(bob)  # nothing alice sent after LEAVE was relayed


async def test_a_take_over_in_the_same_process_is_no_news_to_friends(net):
    old, bob = await net.friends("alice", "bob")
    new = await net.attach("alice", watch=["bob"])
    await expect_error(old, "taken over")
    # The new socket is told who is online; bob hears neither "offline" nor "online" again.
    assert (await receive(new))["payload"] == {"handle": "bob", "online": True}
    assert await nothing(bob)
    await send(bob, offer("alice", "dc_new"))
    assert (await receive(new))["type"] == "OFFER"


# --- bounds ------------------------------------------------------------------------------------


async def test_a_socket_that_keeps_flooding_is_closed_and_holds_no_backlog(net, clock, settings):
    settings.SIGNALING_FRAMES_PER_SECOND = 50
    settings.SIGNALING_FRAME_BURST = 200
    alice, bob = await net.friends("alice", "bob")
    big = offer("bob", "dc_big")
    big["payload"]["sdp"]["sdp"] = "a" * (60 * 1024 - 400)
    text = json.dumps(big)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    peak = 0
    closed_after = None
    for i in range(2000):
        await alice.send_to(text_data=text)
        await asyncio.sleep(0)  # the server reads as the frames come
        if i % 20 == 0:
            while not bob.output_queue.empty():  # bob's client reads what is relayed
                await bob.receive_output()
            peak = max(peak, tracemalloc.get_traced_memory()[0] - base)
            if alice.future.done() or any(m.get("code") == 4004 for m in list(alice.output_queue._queue)):
                closed_after = i
                break
    tracemalloc.stop()
    assert closed_after is not None, "a socket flooding far beyond its limit was never closed"
    assert closed_after < 1000
    assert peak < 16 * 1024 * 1024, f"the server grew by {peak / 2**20:.1f} MiB under one flooding socket"
    frames = []
    while not alice.output_queue.empty():
        frames.append(await alice.receive_output())
    texts = [json.loads(f["text"])["payload"]["msg"] for f in frames if f["type"] == "websocket.send"]
    assert texts.count(TOO_MANY_FRAMES) == 1  # announced once (the fake clock stood still), not per frame
    assert frames[-1] == {"type": "websocket.close", "code": 4004}
    assert switchboard.lookup("alice") is None


async def test_sockets_per_client_address_are_capped(net, settings):
    settings.SIGNALING_MAX_CONNECTIONS_PER_ADDRESS = 2
    here = ("203.0.113.7", 40000)
    for handle in ("a1", "a2"):
        comm = await net.open(handle, client=here)
        assert await receive(comm) == {"type": "OPEN"}
    third = await net.open("a3", client=here)
    await expect_error(third, "Too many signaling connections from your address")
    elsewhere = await net.open("a4", client=("198.51.100.9", 40000))
    assert await receive(elsewhere) == {"type": "OPEN"}
    await net.opened[0].disconnect()
    fourth = await net.open("a5", client=here)  # a closed socket frees its place
    assert await receive(fourth) == {"type": "OPEN"}
    assert addresses.count("203.0.113.7") == 2


async def test_a_socket_the_broker_closes_frees_its_place_at_once(net, settings):
    settings.SIGNALING_MAX_CONNECTIONS_PER_ADDRESS = 1
    here = ("203.0.113.8", 40000)
    first = await net.open("a1", client=here)
    assert await receive(first) == {"type": "OPEN"}
    again = await net.open("a1", client=here)  # a reload at the cap still takes over
    assert await receive(again) == {"type": "OPEN"}
    await expect_error(first, "taken over")
    # first's client never said goodbye, yet its place is free: only the new socket counts.
    assert addresses.count("203.0.113.8") == 1
    other = await net.open("a2", client=here)
    await expect_error(other, "Too many signaling connections from your address")


async def test_a_silent_socket_is_closed_and_a_heartbeating_one_lives(net, settings):
    settings.SIGNALING_IDLE_TIMEOUT = 1
    silent = await net.attach("silent")
    alive = await net.attach("alive")
    for _ in range(12):
        await send(alive, {"type": "HEARTBEAT"})
        await alive.receive_nothing(timeout=0.2)
    await expect_error(silent, "No frame for 1 s")
    assert await silent.receive_output(timeout=2) == {"type": "websocket.close", "code": 4005}
    assert switchboard.lookup("silent") is None
    assert switchboard.lookup("alive") is not None


@pytest.mark.parametrize(
    "origin",
    [
        b"https://127.0.0.1:8000",  # another scheme
        b"http://127.0.0.1:9000",  # another port
        b"http://127.0.0.1",  # the default port is another port
        b"http://127.0.0.1:8000.evil.example",
        b"http://user@127.0.0.1:8000",
        b"null",
    ],
)
async def test_origin_must_be_the_brokers_own_scheme_host_and_port(net, origin):
    comm = await net.open("alice", headers=[(b"origin", origin), (b"host", b"127.0.0.1:8000")])
    await expect_error(comm, "origin")


async def test_trusted_origins_are_compared_whole(net, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example:8443"]
    ok = await net.open("alice", headers=[(b"origin", b"https://app.example:8443"), (b"host", b"127.0.0.1:8000")])
    assert await receive(ok) == {"type": "OPEN"}
    bad = await net.open("bob", headers=[(b"origin", b"https://app.example"), (b"host", b"127.0.0.1:8000")])
    await expect_error(bad, "origin")
