"""The WebRTC negotiations a connection takes part in, so only those are relayed.

An ANSWER or CANDIDATE means something only on a connection id for which the two peers exchanged
an OFFER. Without this rule a stranger could push junk at any online handle, and the PeerJS
client keeps every message for a connection it does not know. Each connection remembers the
offers it sent and received, briefly and boundedly.
"""

from collections import OrderedDict

from signaling import limits

# Long enough for trickled candidates after a slow answer; ICE takes seconds, not minutes.
NEGOTIATION_SECONDS = 120.0
MAX_NEGOTIATIONS = 256


class Negotiations:
    __slots__ = ("_open",)

    def __init__(self) -> None:
        # (peer key, connection id) -> (expiry, may an absent peer be answered with EXPIRE?)
        self._open: OrderedDict[tuple[str, str], tuple[float, bool]] = OrderedDict()

    def offered(self, peer_key: str, connection_id: str, friend: bool) -> None:
        """Records an OFFER between this connection and ``peer_key`` (either way).

        ``friend``: the two watch each other (or the peer offered to me), so telling this side
        that the peer has gone reveals nothing it may not know.
        """
        entry = (peer_key, connection_id)
        self._open.pop(entry, None)
        self._open[entry] = (limits.clock() + NEGOTIATION_SECONDS, friend)
        while len(self._open) > MAX_NEGOTIATIONS:
            self._open.popitem(last=False)  # the oldest negotiation goes first

    def partner(self, peer_key: str, connection_id: str) -> bool | None:
        """None if no OFFER was exchanged on this connection id; else its ``friend`` flag."""
        entry = self._open.get((peer_key, connection_id))
        if entry is None:
            return None
        expiry, friend = entry
        if expiry < limits.clock():
            del self._open[(peer_key, connection_id)]
            return None
        return friend

    def __len__(self) -> int:
        return len(self._open)
