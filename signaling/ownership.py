"""Which peer ids a logged-in account may use, and how ids are routed.

This is the one place that decides ownership. A person connects as their handle, spelled exactly
as the account spells it (another letter case would reach friends as a ``src`` they take for
another person, so it is refused rather than quietly mapped), or, one id per browser, as
``handle-device``: ``device`` is 1 to 8 of ``a-z 0-9``, lower case only, so that one device has one
spelling too. A handle never contains ``-``, so the owner of any id is the part before the first
``-``.
"""

import re

from accounts.handles import normalize

# The PeerJS client's own id rule; anything else could never be a client's id.
_PEER_ID_RE = re.compile(r"\A[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*\Z")
MAX_PEER_ID_LENGTH = 64
# The device part of ``handle-device``. ASCII only: \Z and explicit ranges, no \w or \d.
_DEVICE_RE = re.compile(r"\A[a-z0-9]{1,8}\Z")
DEVICE_RULE = "1 to 8 of a-z and 0-9"


def is_peer_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_PEER_ID_LENGTH and bool(_PEER_ID_RE.match(value))


def route_key(peer_id: str) -> str:
    """The key frames are routed by: ids differ only in letter case for the same person."""
    return normalize(peer_id)


def owner_of(peer_id: str) -> str:
    """The handle part of a peer id (``alice`` of ``alice-x7k2``; a bare handle is its own)."""
    return peer_id.partition("-")[0]


def device_of(peer_id: str) -> str:
    """The device part of a peer id; "" for a bare handle."""
    return peer_id.partition("-")[2]


def may_claim(handle: str, peer_id: str) -> bool:
    """May the account ``handle`` connect to the broker as ``peer_id``?"""
    if not is_peer_id(peer_id) or owner_of(peer_id) != handle:
        return False
    return peer_id == handle or bool(_DEVICE_RE.match(device_of(peer_id)))
