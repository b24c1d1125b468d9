"""signaling.ownership, the one rule of which peer ids a session may connect as."""

import pytest

from signaling.ownership import device_of, may_claim, owner_of, route_key


@pytest.mark.parametrize(
    ("handle", "peer_id"),
    [
        ("alice", "alice"),
        ("Alice_1", "Alice_1"),
        ("Alice_1", "Alice_1-x7k2p9"),
        ("alice", "alice-a"),  # one character
        ("alice", "alice-12345678"),  # eight
        ("alice", "alice-0"),
        ("abcdefghijklmno", "abcdefghijklmno-zzzzzzzz"),  # the longest id there is: 24 characters
    ],
)
def test_a_session_may_connect_as_its_handle_or_one_of_its_devices(handle, peer_id):
    assert may_claim(handle, peer_id)


@pytest.mark.parametrize(
    ("handle", "peer_id"),
    [
        ("alice", "bob"),  # another handle
        ("alice", "bob-x7k2"),  # another handle's device
        ("alice", "alice2-x7k2"),  # a handle that merely starts like mine
        ("alice", "ali-ce"),  # a prefix of mine
        ("alice", "Alice"),  # another spelling of mine, bare ...
        ("Alice_1", "alice_1-x7k2"),  # ... or with a device
        ("alice", "alice-"),  # no device
        ("alice", "alice-ABC"),  # upper case
        ("alice", "alice-Abc"),
        ("alice", "alice-123456789"),  # nine characters
        ("alice", "alice-a-b"),  # a second dash
        ("alice", "alice--a"),
        ("alice", "alice-a_b"),  # not a-z 0-9
        ("alice", "alice-a b"),
        ("alice", "alice-é"),
        ("alice", "alice-ａ"),  # a full-width letter
        ("alice", "alice-a\n"),
        ("alice", "-alice"),
        ("alice", ""),
    ],
)
def test_anything_else_is_refused(handle, peer_id):
    assert not may_claim(handle, peer_id)


def test_owner_and_device_of_an_id():
    assert (owner_of("Alice_1-x7k2p9"), device_of("Alice_1-x7k2p9")) == ("Alice_1", "x7k2p9")
    assert (owner_of("alice"), device_of("alice")) == ("alice", "")
    # Route keys are the whole id, case-folded: each device is routed on its own.
    assert route_key("Alice_1-x7k2p9") == "alice_1-x7k2p9" != route_key("Alice_1")
    assert owner_of(route_key("Alice_1-x7k2p9")) == route_key("Alice_1")
