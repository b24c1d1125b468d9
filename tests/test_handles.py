import pytest
from django.core.exceptions import ValidationError

from accounts.handles import RESERVED, is_valid_handle, validate_handle
from signaling.ownership import is_peer_id, may_claim


@pytest.mark.parametrize("handle", ["a", "Z", "7", "alice", "Alice_B", "a_b_c", "x1_2y", "abcdefghijklmno", "_0"[1:]])
def test_valid_handles(handle):
    validate_handle(handle)
    # Every valid handle is a valid PeerJS peer id, so the official client accepts it.
    assert is_peer_id(handle)


@pytest.mark.parametrize(
    ("handle", "code"),
    [
        ("", "handle_empty"),
        ("abcdefghijklmnop", "handle_too_long"),
        ("a__b", "handle_double_underscore"),
        ("_alice", "handle_edge_underscore"),
        ("alice_", "handle_edge_underscore"),
        ("al-ice", "handle_characters"),
        ("al ice", "handle_characters"),
        ("al.ice", "handle_characters"),
        ("élodie", "handle_characters"),
        ("ａｌｉｃｅ", "handle_characters"),
        ("alice\n", "handle_characters"),
        ("admin", "handle_reserved"),
        ("PeerJS", "handle_reserved"),
        ("Static", "handle_reserved"),
    ],
)
def test_invalid_handles_say_why(handle, code):
    with pytest.raises(ValidationError) as raised:
        validate_handle(handle)
    assert raised.value.code == code
    assert raised.value.messages[0].endswith(".")


def test_reserved_words_are_themselves_well_formed():
    # A reserved word that could never be a handle would be a typo in the list.
    for word in RESERVED:
        assert word == word.lower() and is_peer_id(word), word


def test_ownership_is_the_handle_spelled_exactly():
    assert may_claim("alice", "alice")
    assert may_claim("Alice_B", "Alice_B")
    # Another letter case is another src to friends: refused, never quietly mapped.
    assert not may_claim("alice", "ALICE")
    assert not may_claim("alice", "Alice")
    assert not may_claim("bob", "BOB")
    assert not may_claim("Alice_B", "alice_b")
    assert not may_claim("alice", "alice2")
    assert not may_claim("alice", "bob")
    # Device ids (handle-device) have their own tests: tests/test_ownership.py.
    assert not may_claim("alice", "")
    assert not is_valid_handle(None)
