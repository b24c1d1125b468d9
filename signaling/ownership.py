"""Which peer ids a logged-in account may use, and how ids are routed.

This is the one place that decides ownership. Today a person's only peer id is their handle,
spelled exactly as the account spells it: another letter case would reach friends as a ``src``
they take for another person, so it is refused rather than quietly mapped. Several devices per
person will connect as ``handle-device``; a handle never contains ``-``, so the owner of any id
is the part before the first ``-``.
"""

import re

from accounts.handles import normalize

# The PeerJS client's own id rule; anything else could never be a client's id.
_PEER_ID_RE = re.compile(r"\A[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*\Z")
MAX_PEER_ID_LENGTH = 64


def is_peer_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_PEER_ID_LENGTH and bool(_PEER_ID_RE.match(value))


def route_key(peer_id: str) -> str:
    """The key frames are routed by: ids differ only in letter case for the same person."""
    return normalize(peer_id)


def may_claim(handle: str, peer_id: str) -> bool:
    """May the account ``handle`` connect to the broker as ``peer_id``?"""
    return is_peer_id(peer_id) and peer_id == handle
