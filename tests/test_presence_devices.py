"""Presence per handle, told per device, and the reverse watch of a restored browser.

WATCH names handles; PRESENCE names the peer id of each device (signaling.presence). Every test
drives the real consumer (Channels' WebsocketCommunicator) on the in-memory channel layer and on
the real Redis directory (``channel_layer_backend``; the Redis run skips, or fails under
REQUIRE_SERVICES, when REDIS_URL is unset), so the board and the directory are held to the same
behaviour.
"""

import pytest

from tests.sockets import nothing, offer, receive, send

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fast_password_hasher", "channel_layer_backend"),
]


async def watch(comm, *handles, watchers=None):
    payload = {"handles": list(handles)}
    if watchers is not None:
        payload["watchers"] = watchers
    await send(comm, {"type": "WATCH", "payload": payload})


async def heard(comm, count):
    """The next ``count`` PRESENCE notices, as sorted (peer id, online) pairs."""
    notices = []
    for _ in range(count):
        frame = await receive(comm)
        assert frame["type"] == "PRESENCE", frame
        notices.append((frame["payload"]["handle"], frame["payload"]["online"]))
    return sorted(notices)


async def quiet(*comms):
    for comm in comms:
        assert await nothing(comm)


async def test_a_friend_hears_each_device_come_and_go(net):
    bob = await net.attach("bob", watch=["alice"])
    d1 = await net.attach("alice-d1", watch=["bob"])
    assert await heard(d1, 1) == [("bob", True)]
    assert await heard(bob, 1) == [("alice-d1", True)]
    d2 = await net.attach("alice-d2", watch=["Bob"])
    assert await heard(d2, 1) == [("bob", True)]
    assert await heard(bob, 1) == [("alice-d2", True)]
    await quiet(d1)  # neither lists its own handle: alice's devices are not told of each other

    await d1.disconnect()
    assert await heard(bob, 1) == [("alice-d1", False)]  # alice is still online, on d2
    await quiet(d2)
    await d2.disconnect()
    assert await heard(bob, 1) == [("alice-d2", False)]


async def test_a_friends_devices_are_all_told_to_a_new_device_and_only_those_that_watch_back(net):
    bob1 = await net.attach("bob-d1", watch=["alice"])
    bob2 = await net.attach("bob-d2", watch=["carol"])  # bob's other browser does not list alice (yet)
    alice = await net.attach("alice", watch=["bob"])
    assert await heard(alice, 1) == [("bob-d1", True)]
    assert await heard(bob1, 1) == [("alice", True)]
    await quiet(bob2)
    await watch(bob2, "carol", "alice")  # now it does
    assert await heard(bob2, 1) == [("alice", True)]
    assert await heard(alice, 1) == [("bob-d2", True)]
    await watch(bob2, "carol")  # and stops again: alice hears that device go, not bob
    assert await heard(alice, 1) == [("bob-d2", False)]
    await quiet(bob2, bob1, alice)


async def test_own_devices_hear_each_other_when_one_lists_the_own_handle(net):
    d1 = await net.attach("alice-d1", watch=["alice", "bob"])
    await quiet(d1)  # never told about itself
    d2 = await net.attach("alice-d2")
    await watch(d2)  # an empty list: d1's naming alice is enough, they are one account
    assert await heard(d2, 1) == [("alice-d1", True)]
    assert await heard(d1, 1) == [("alice-d2", True)]
    d3 = await net.attach("alice-d3", watch=["alice"])
    assert await heard(d3, 2) == [("alice-d1", True), ("alice-d2", True)]
    assert await heard(d1, 1) == [("alice-d3", True)]
    assert await heard(d2, 1) == [("alice-d3", True)]
    await d2.disconnect()
    assert await heard(d1, 1) == [("alice-d2", False)]
    assert await heard(d3, 1) == [("alice-d2", False)]
    await quiet(d1, d3)


async def test_a_stranger_hears_nothing_of_any_device(net):
    early = await net.attach("mallory", watch=["alice"])
    d1 = await net.attach("alice-d1", watch=["bob", "alice"])
    d2 = await net.attach("alice-d2", watch=["alice"])
    assert await heard(d2, 1) == [("alice-d1", True)]
    assert await heard(d1, 1) == [("alice-d2", True)]
    late = await net.attach("eve-x", watch=["alice"])  # watches once alice's devices are there
    await watch(late, "alice", watchers=True)  # and asks for its watchers: alice does not list eve
    await d1.disconnect()
    assert await heard(d2, 1) == [("alice-d1", False)]
    await quiet(early, late, d2)


async def test_reverse_watch_meets_those_who_list_me_and_no_one_else(net):
    bob = await net.attach("bob", watch=["alice"])
    carol = await net.attach("carol-d1", watch=["alice", "dave"])
    mallory = await net.attach("mallory", watch=["zed"])  # does not watch alice
    snoop = await net.attach("snoop", watch=["zed"])
    await watch(snoop, "zed", watchers=True)  # a stranger's reverse watch: nobody lists snoop
    # A browser restored from the recovery phrase: no friend list, but its friends list alice.
    restored = await net.attach("alice-new")
    await watch(restored, watchers=True)
    assert await heard(restored, 2) == [("bob", True), ("carol-d1", True)]
    assert await heard(bob, 1) == [("alice-new", True)]
    assert await heard(carol, 1) == [("alice-new", True)]
    await quiet(mallory, snoop, restored)  # mallory is not revealed, and learns nothing

    # A friend that comes later is met too, and one going is told.
    dave = await net.attach("dave-x", watch=["alice"])
    assert await heard(dave, 1) == [("alice-new", True)]
    assert await heard(restored, 1) == [("dave-x", True)]
    await dave.disconnect()
    assert await heard(restored, 1) == [("dave-x", False)]

    # The friend list is back: bob is on it, carol is not; without reverse watch carol loses alice.
    await watch(restored, "bob")
    assert await heard(carol, 1) == [("alice-new", False)]
    await quiet(bob, restored, mallory, snoop)


async def test_expire_at_once_for_a_departed_friends_device_only(net):
    bob = await net.attach("bob", watch=["alice"])
    d1 = await net.attach("alice-d1", watch=["bob"])
    assert await heard(bob, 1) == [("alice-d1", True)]
    assert await heard(d1, 1) == [("bob", True)]
    await d1.disconnect()
    assert await heard(bob, 1) == [("alice-d1", False)]
    await send(bob, offer("alice-d1", "dc_late"))
    assert await receive(bob) == {"type": "EXPIRE", "src": "alice-d1", "dst": "bob"}
    await send(bob, offer("alice-d9", "dc_never"))  # never connected: as a stranger's, no answer
    await quiet(bob)
