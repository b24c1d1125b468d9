"""Who is told when whom comes and goes: a Peerwall extension of the PeerJS protocol.

A client sends ``{"type": "WATCH", "payload": {"handles": [...]}}`` with the handles it wants
news of (its friends). It hears ``{"type": "PRESENCE", "payload": {"handle", "online"}}`` about a
handle only while both watch each other: friends watch each other, so a stranger who watches
someone learns nothing.
"""

import json
from dataclasses import dataclass, field

MAX_WATCHED = 1000


@dataclass(slots=True)
class Watcher:
    """One connection's watch list (route keys) and the peer id it is known by."""

    peer_id: str
    watching: frozenset[str] = field(default_factory=frozenset)


Notice = tuple[str, str, bool]  # (tell this route key, about this peer id, online?)


class PresenceBoard:
    """The watch lists of the connections of this process."""

    def __init__(self) -> None:
        self._watchers: dict[str, Watcher] = {}

    def _mutual(self, a: str, b: str) -> bool:
        wa, wb = self._watchers.get(a), self._watchers.get(b)
        return wa is not None and wb is not None and b in wa.watching and a in wb.watching

    def watch(self, key: str, peer_id: str, keys: frozenset[str]) -> list[Notice]:
        """Replaces the watch list of ``key``; returns who must be told what."""
        before = self._watchers.get(key)
        was_mutual = {other for other in (before.watching if before else ()) if self._mutual(key, other)}
        self._watchers[key] = Watcher(peer_id, keys - {key})
        notices: list[Notice] = []
        for other in keys - was_mutual:
            if self._mutual(key, other):
                notices.append((key, self._watchers[other].peer_id, True))
                notices.append((other, peer_id, True))
        for other in was_mutual - keys:
            notices.append((other, peer_id, False))
        return notices

    def leave(self, key: str) -> list[Notice]:
        watcher = self._watchers.get(key)
        if watcher is None:
            return []
        notices = [(other, watcher.peer_id, False) for other in watcher.watching if self._mutual(key, other)]
        del self._watchers[key]
        return notices


def presence_text(peer_id: str, online: bool) -> str:
    return json.dumps({"type": "PRESENCE", "payload": {"handle": peer_id, "online": online}}, separators=(",", ":"))
