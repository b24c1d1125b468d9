"""Who is connected to this server process, by route key, and which of them are one account's.

Frames between two sockets of the same process go straight from one consumer to the other,
without a round trip through the channel layer. Everything that must reach other processes goes
through the channel layer: a take-over to the process holding that one peer id, log-out and
account deletion to the group of the handle, which every process holding one of its devices
joins, so the same code works with the in-memory layer and with channels_redis.
"""

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from signaling.limits import AddressCounter, clock
from signaling.ownership import owner_of
from signaling.presence import PresenceBoard, Watch

log = logging.getLogger(__name__)


class Endpoint(Protocol):
    peer_id: str
    watch: Watch
    watched: bool  # has it sent WATCH (is it on the presence board)
    last_seen: float

    async def deliver(self, text: str, offer: tuple[str, str] | None = None) -> bool: ...

    async def displace(self, reason: str, code: int) -> None: ...


class Switchboard:
    def __init__(self) -> None:
        self._endpoints: dict[str, Endpoint] = {}
        self._owned: dict[str, set[str]] = {}  # an account's route key -> its devices' route keys
        self._sweeper: asyncio.Task | None = None

    def attach(self, key: str, endpoint: Endpoint) -> Endpoint | None:
        """Registers ``endpoint`` under ``key``; returns the endpoint it displaces, if any."""
        previous = self._endpoints.get(key)
        self._endpoints[key] = endpoint
        self._owned.setdefault(owner_of(key), set()).add(key)
        return previous if previous is not endpoint else None

    def detach(self, key: str, endpoint: Endpoint) -> None:
        # Only the current holder may unregister: a displaced socket closing late must not
        # unregister the socket that took over.
        if self._endpoints.get(key) is endpoint:
            del self._endpoints[key]
            owner = owner_of(key)
            self._owned[owner].discard(key)
            if not self._owned[owner]:
                del self._owned[owner]

    def lookup(self, key: str) -> Endpoint | None:
        return self._endpoints.get(key)

    def owned(self, owner: str) -> list[Endpoint]:
        """The connections of the account ``owner`` (a route key) in this process: its devices."""
        return [self._endpoints[key] for key in self._owned.get(owner, ())]

    def addressed(self, event: dict) -> Iterable[object]:
        """Whom a channel layer event is for: one peer id (``to``), or every device of an account (``owner``)."""
        to, owner = event.get("to"), event.get("owner")
        if isinstance(to, str):
            target = self.lookup(to)
            return [] if target is None else [target]
        return self.owned(owner) if isinstance(owner, str) else []

    def __len__(self) -> int:
        return len(self._endpoints)

    def sweep_idle(self, timeout: float, reason: str, code: int) -> None:
        """Keeps one task per process that closes sockets silent for longer than ``timeout``.

        One sweep over all sockets every few seconds costs far less than a timer per socket.
        """
        if timeout <= 0 or (self._sweeper is not None and not self._sweeper.done()):
            return
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(timeout, reason, code))

    async def _sweep(self, idle: float, reason: str, code: int) -> None:
        while self._endpoints:
            await asyncio.sleep(min(idle / 4, 15.0))
            deadline = clock() - idle
            for endpoint in [e for e in self._endpoints.values() if e.last_seen < deadline]:
                try:
                    await endpoint.displace(reason, code)
                except Exception:  # one broken socket must not stop the sweeping
                    log.exception("closing an idle signaling socket failed")


# One per process: the consumers of this process share them.
switchboard = Switchboard()
presence = PresenceBoard()
addresses = AddressCounter()


def handle_group(owner: str) -> str:
    """The channel layer group that every process holding a device of the account ``owner`` joins."""
    return f"peer.{owner}"
