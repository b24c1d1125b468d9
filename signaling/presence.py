"""Who is told when whom comes and goes: a Peerwall extension of the PeerJS protocol.

A client sends ``{"type": "WATCH", "payload": {"handles": [...]}}`` with the handles it wants
news of (its friends). It hears ``{"type": "PRESENCE", "payload": {"handle", "online"}}`` about a
handle only while both watch each other: friends watch each other, so a stranger who watches
someone learns nothing.

The rule itself is ``presence_notices``, a pure function that the in-process board here and the
Redis directory both call, so the two cannot drift apart.
"""

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from signaling import limits

Notice = tuple[str, str, bool]  # (tell this route key, about this peer id, online?)

# A departed handle's watch list is remembered this long, so that a friend dialling it soon
# after still hears EXPIRE at once (see signaling.consumer), while a stranger does not.
DEPARTED_SECONDS = 600.0
MAX_DEPARTED = 100_000


def presence_notices(
    key: str,
    peer_id: str,
    before: frozenset[str],
    after: frozenset[str],
    fresh: bool,
    watches_back: Callable[[str], str | None],
) -> list[Notice]:
    """What a new watch list of ``key`` makes the board say.

    ``watches_back(other)`` is the peer id ``other`` is connected as if it is online and watches
    ``key``, else None. A ``fresh`` watcher (the first WATCH of a connection, also after a
    take-over that inherited the list) is told every friend online; otherwise only changes.
    Friends hear only changes: a reloaded tab is no news to them.
    """
    notices: list[Notice] = []
    for other in sorted(before | after):
        other_peer_id = watches_back(other)
        if other_peer_id is None:
            continue
        if other in after and (fresh or other not in before):
            notices.append((key, other_peer_id, True))
        if other in after and other not in before:
            notices.append((other, peer_id, True))
        elif other in before and other not in after:
            notices.append((other, peer_id, False))
    return notices


@dataclass(slots=True)
class Watcher:
    """One connected handle's watch list (route keys) and the peer id it is known by."""

    peer_id: str
    watching: frozenset[str] = field(default_factory=frozenset)


class PresenceBoard:
    """The watch lists of the connections of this process."""

    def __init__(self) -> None:
        self._watchers: dict[str, Watcher] = {}
        self._departed: OrderedDict[str, tuple[frozenset[str], float]] = OrderedDict()

    def _watches_back(self, key: str) -> Callable[[str], str | None]:
        def watches_back(other: str) -> str | None:
            watcher = self._watchers.get(other)
            return watcher.peer_id if watcher is not None and key in watcher.watching else None

        return watches_back

    def watch(self, key: str, peer_id: str, keys: frozenset[str], fresh: bool) -> list[Notice]:
        """Replaces the watch list of ``key``; returns who must be told what."""
        keys = keys - {key}
        before = self._watchers.get(key)
        self._watchers[key] = Watcher(peer_id, keys)
        self._departed.pop(key, None)
        was = before.watching if before else frozenset()
        return presence_notices(key, peer_id, was, keys, fresh, self._watches_back(key))

    def leave(self, key: str) -> list[Notice]:
        """``key`` has gone (no connection of it is left): its mutual watchers are told."""
        watcher = self._watchers.pop(key, None)
        if watcher is None:
            return []
        self._remember(key, watcher.watching)
        back = self._watches_back(key)
        return [(other, watcher.peer_id, False) for other in sorted(watcher.watching) if back(other) is not None]

    def watches(self, key: str, other: str) -> bool:
        """Does ``key`` watch ``other``: now, or when it was last connected, not long ago?"""
        watcher = self._watchers.get(key)
        if watcher is not None:
            return other in watcher.watching
        departed = self._departed.get(key)
        if departed is None:
            return False
        watching, expiry = departed
        if expiry < limits.clock():
            del self._departed[key]
            return False
        return other in watching

    def _remember(self, key: str, watching: Iterable[str]) -> None:
        self._departed.pop(key, None)
        self._departed[key] = (frozenset(watching), limits.clock() + DEPARTED_SECONDS)
        while len(self._departed) > MAX_DEPARTED:
            self._departed.popitem(last=False)


def presence_text(peer_id: str, online: bool) -> str:
    return json.dumps({"type": "PRESENCE", "payload": {"handle": peer_id, "online": online}}, separators=(",", ":"))
