"""The broker's bounds: rates, dial budgets, sockets per address and per account.

Every part of the signaling code reads time through ``clock()``, so tests can replace it with a
clock they control instead of asserting how long something took.
"""

import time
from collections import OrderedDict

from django.conf import settings

clock = time.monotonic

# Devices one account may hold connected in one server process at once. Every device is its own
# peer id, and each is told of every friend's devices, so an account must not open them without
# bound; a person's phone, laptops and tabs fit well under this. A reload (the same peer id again)
# takes over its own socket and never counts twice.
MAX_CONNECTIONS_PER_ACCOUNT = 8


def connections_per_account() -> int:
    """The cap above, or ``settings.SIGNALING_MAX_CONNECTIONS_PER_ACCOUNT`` where set (0: no cap)."""
    return getattr(settings, "SIGNALING_MAX_CONNECTIONS_PER_ACCOUNT", MAX_CONNECTIONS_PER_ACCOUNT)


class TokenBucket:
    """Allows ``rate`` events a second on average, and bursts of up to ``burst``."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float | None = None):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = clock() if now is None else now

    def take(self, now: float | None = None) -> bool:
        now = clock() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class StrangerDials:
    """How many different people who are not my friends I may dial in a window.

    Dialling a stranger is how a friend request starts, so it must stay possible; but each dial
    tells the caller a little (a ring the other app may answer), so a sender may reach only a
    few distinct strangers a window. Dialling the same stranger again within the window is free.
    """

    __slots__ = ("dialled", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.dialled: OrderedDict[str, float] = OrderedDict()  # key -> when first dialled

    def allow(self, key: str, now: float | None = None) -> bool:
        now = clock() if now is None else now
        while self.dialled and next(iter(self.dialled.values())) <= now - self.window:
            self.dialled.popitem(last=False)
        if key in self.dialled:
            return True
        if len(self.dialled) >= self.limit:
            return False
        self.dialled[key] = now
        return True


class AddressCounter:
    """Open sockets per client address in this process, so one address cannot hold them all."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def add(self, address: str, limit: int) -> bool:
        """Counts one more socket from ``address``; False (and not counted) past ``limit``."""
        count = self._open.get(address, 0)
        if limit and count >= limit:
            return False
        self._open[address] = count + 1
        return True

    def remove(self, address: str) -> None:
        count = self._open.get(address, 0) - 1
        if count > 0:
            self._open[address] = count
        else:
            self._open.pop(address, None)

    def count(self, address: str) -> int:
        return self._open.get(address, 0)
