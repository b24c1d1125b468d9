"""Who is connected to this server process, by route key.

Frames between two sockets of the same process go straight from one consumer to the other,
without a round trip through the channel layer. Everything that must reach other processes
(take-over, log-out, account deletion) goes through the channel layer group of the handle,
so the same code works with the in-memory layer and with channels_redis.
"""

from typing import Protocol

from signaling.presence import PresenceBoard


class Endpoint(Protocol):
    peer_id: str

    async def deliver(self, text: str) -> bool: ...

    async def displace(self, reason: str) -> None: ...


class Switchboard:
    def __init__(self) -> None:
        self._endpoints: dict[str, Endpoint] = {}

    def attach(self, key: str, endpoint: Endpoint) -> Endpoint | None:
        """Registers ``endpoint`` under ``key``; returns the endpoint it displaces, if any."""
        previous = self._endpoints.get(key)
        self._endpoints[key] = endpoint
        return previous if previous is not endpoint else None

    def detach(self, key: str, endpoint: Endpoint) -> None:
        # Only the current holder may unregister: a displaced socket closing late must not
        # unregister the socket that took over.
        if self._endpoints.get(key) is endpoint:
            del self._endpoints[key]

    def lookup(self, key: str) -> Endpoint | None:
        return self._endpoints.get(key)

    def __len__(self) -> int:
        return len(self._endpoints)


# One per process: the consumers of this process share them.
switchboard = Switchboard()
presence = PresenceBoard()


def handle_group(key: str) -> str:
    """The channel layer group every connection of one person joins."""
    return f"peer.{key}"
