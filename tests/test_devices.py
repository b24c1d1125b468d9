"""Several devices per handle on the broker: each browser of an account connects as ``handle-device``.

Through the real ASGI app and consumer (Channels' WebsocketCommunicator), on the in-memory channel
layer and on the real Redis where a rule spans connections: every device gets OPEN, is routed by
its own peer id, is taken over only by a socket with that same id, and log-out and account
deletion reach every device of the account. Presence per device: tests/test_presence_devices.py.
"""

import pytest
from asgiref.sync import sync_to_async

from signaling import limits
from signaling.switchboard import switchboard
from tests.sockets import expect_error, negotiation, nothing, offer, receive, send
from tests.test_signaling_protocol import delete_account, force_login, log_out

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_password_hasher")]


async def closed(comm, code, contains):
    await expect_error(comm, contains)
    assert await comm.receive_output(timeout=2) == {"type": "websocket.close", "code": code}


async def two_devices_and_a_friend(net):
    """alice-d1 and alice-d2 connected, bob watching alice and both watching bob (notices read)."""
    bob = await net.attach("bob", watch=["alice"])
    d1 = await net.attach("alice-d1", watch=["bob"])
    assert (await receive(d1))["payload"] == {"handle": "bob", "online": True}
    assert (await receive(bob))["payload"] == {"handle": "alice-d1", "online": True}
    d2 = await net.attach("alice-d2", watch=["bob"])
    assert (await receive(d2))["payload"] == {"handle": "bob", "online": True}
    assert (await receive(bob))["payload"] == {"handle": "alice-d2", "online": True}
    return d1, d2, bob


@pytest.mark.usefixtures("channel_layer_backend")
async def test_two_devices_of_one_handle_both_open_and_each_talks_to_a_friend(net):
    d1, d2, bob = await two_devices_and_a_friend(net)
    for mine, other, peer_id in ((d1, d2, "alice-d1"), (d2, d1, "alice-d2")):
        connection_id = f"dc_{peer_id}"
        await send(mine, offer("bob", connection_id))
        got = await receive(bob)
        assert (got["type"], got["src"], got["dst"]) == ("OFFER", peer_id, "bob")
        await send(bob, negotiation("ANSWER", peer_id, connection_id))
        got = await receive(mine)
        assert (got["type"], got["src"], got["dst"]) == ("ANSWER", "bob", peer_id)
        # bob dials this very device: it alone rings.
        await send(bob, offer(peer_id, f"dc_to_{peer_id}"))
        got = await receive(mine)
        assert (got["type"], got["src"], got["payload"]["connectionId"]) == ("OFFER", "bob", f"dc_to_{peer_id}")
        assert await nothing(other)


@pytest.mark.usefixtures("channel_layer_backend")
async def test_a_socket_with_one_devices_id_takes_over_that_device_only(net):
    d1, d2, bob = await two_devices_and_a_friend(net)
    again = await net.attach("alice-d1", watch=["bob"])  # alice-d1's tab reloads
    await closed(d1, 4002, "taken over")
    assert (await receive(again))["payload"] == {"handle": "bob", "online": True}
    assert await nothing(d2)
    assert await nothing(bob)  # the same device, still online: no news
    await send(bob, offer("alice-d1", "dc_a"))
    assert (await receive(again))["payload"]["connectionId"] == "dc_a"
    await send(bob, offer("alice-d2", "dc_b"))
    assert (await receive(d2))["payload"]["connectionId"] == "dc_b"
    assert await nothing(d1) and await nothing(bob)


@pytest.mark.parametrize(
    "peer_id", ["bob-d1", "bob", "Alice-d1", "alice-D1", "alice-123456789", "alice-a-b", "alice-a_b", "alice2-d1"]
)
async def test_an_id_that_is_not_the_accounts_own_device_is_refused(net, peer_id):
    bob = await net.attach("bob-d1")
    comm = await net.open("alice", peer_id=peer_id)
    await closed(comm, 4001, "'alice'")
    await send(comm, offer("bob-d1"))
    assert await nothing(bob)
    assert switchboard.lookup(peer_id.lower()) is not comm


@pytest.mark.usefixtures("channel_layer_backend")
async def test_log_out_closes_every_device_of_that_session_and_deleting_the_account_every_device(net):
    d1 = await net.attach("alice-d1")
    gone = await net.attach("alice-d2")
    d3 = await net.attach("alice-d3")
    first = net.cookies["alice"]
    net.cookies["alice"] = await sync_to_async(force_login)("alice")  # another browser
    d4 = await net.attach("alice-d4")
    bob = await net.attach("bob")
    # All of them share this process's channel: one device leaving must not take it out of the
    # account's group while others are here.
    await gone.disconnect()

    assert await sync_to_async(log_out)(first) == 302
    await closed(d1, 4003, "logged out")
    await closed(d3, 4003, "logged out")
    assert await nothing(d4)  # the other browser's session goes on
    net.cookies["alice"] = await sync_to_async(force_login)("alice")  # a third browser
    d5 = await net.attach("alice-d5")
    # Deleted from yet another browser (the deleting session is logged out first, with its own words).
    assert await sync_to_async(delete_account)(await sync_to_async(force_login)("alice")) == 302
    await closed(d4, 4003, "deleted")
    await closed(d5, 4003, "deleted")
    assert await nothing(bob)


async def test_an_account_holds_several_devices_at_once_and_a_reload_still_takes_over(net):
    cap = limits.connections_per_account()
    assert cap >= 4  # a phone, two computers and a tablet, at least
    devices = [await net.attach(f"alice-d{n}") for n in range(cap)]
    one_more = await net.open("alice", peer_id="alice-extra")
    await closed(one_more, 4001, f"{cap} devices")
    again = await net.attach("alice-d0")  # at the cap, a reload takes its own place
    await closed(devices[0], 4002, "taken over")
    await send(again, {"type": "HEARTBEAT"})
    assert await nothing(again)
    bob = await net.attach("bob")  # another account is not counted with alice's
    assert await nothing(bob)


def located(handle, ids):
    return {"type": "LOCATED", "payload": {"handle": handle, "ids": ids}}


@pytest.mark.usefixtures("channel_layer_backend")
async def test_locate_finds_the_devices_a_friend_request_must_ring(net, settings):
    settings.SIGNALING_STRANGER_DIALS_PER_MINUTE = 2
    d1 = await net.attach("bob-d1", watch=["bob"])
    d2 = await net.attach("bob-d2", watch=["bob"])
    await receive(d1), await receive(d2)  # each hears of the other
    for name in ("carol", "dave"):
        await net.attach(f"{name}-x", watch=["zed"])  # on the board, as every client is after its WATCH
    alice = await net.attach("alice-a1", watch=["bob"])  # alice asked bob: she watches him, he not her
    await send(alice, {"type": "LOCATE", "payload": {"handle": "Bob"}})
    assert await receive(alice) == located("bob", ["bob-d1", "bob-d2"])
    # Asking again about the same person is free; someone not connected is an empty answer.
    await send(alice, {"type": "LOCATE", "payload": {"handle": "bob"}})
    assert await receive(alice) == located("bob", ["bob-d1", "bob-d2"])
    await send(alice, {"type": "LOCATE", "payload": {"handle": "carol"}})
    assert await receive(alice) == located("carol", ["carol-x"])
    # A third stranger in the minute costs a dial she no longer has: refused, nothing told.
    await send(alice, {"type": "LOCATE", "payload": {"handle": "dave"}})
    await expect_error(alice, "not your friends")
    assert await nothing(alice)
    # A malformed LOCATE is refused and the connection lives on.
    await send(alice, {"type": "LOCATE", "payload": {"handle": "bob-d1"}})
    await expect_error(alice, "LOCATE")
    await send(alice, {"type": "LOCATE", "payload": {"handle": "bob"}})
    assert await receive(alice) == located("bob", ["bob-d1", "bob-d2"])


@pytest.mark.usefixtures("channel_layer_backend")
async def test_locate_between_friends_costs_no_stranger_dial(net, settings):
    settings.SIGNALING_STRANGER_DIALS_PER_MINUTE = 0
    bob = await net.attach("bob-d1", watch=["alice"])
    alice = await net.attach("alice-a1", watch=["bob"])
    await receive(bob), await receive(alice)
    await send(alice, {"type": "LOCATE", "payload": {"handle": "bob"}})
    assert await receive(alice) == located("bob", ["bob-d1"])
    await send(alice, {"type": "LOCATE", "payload": {"handle": "nobody"}})
    await expect_error(alice, "not your friends")
