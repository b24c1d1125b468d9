"""Who is told when whom comes and goes: a Peerwall extension of the PeerJS protocol.

A client sends ``{"type": "WATCH", "payload": {"handles": [...], "watchers": false}}`` with the
HANDLES it wants news of (its friends; it may name its own handle too). Presence is told per
device: it hears ``{"type": "PRESENCE", "payload": {"handle": <peer id>, "online": bool}}``
about each connected device (``bob``, ``bob-x7k2``, ...) that watches it back, and the client
takes a person to be online while any of their devices is. Two devices X (of handle A) and Y (of
handle B) hear of each other while they are *mutual*:

- A ≠ B: X lists B and Y lists A (friends watch each other, so a stranger learns nothing);
  or one side lists the other and the other sent ``"watchers": true`` (reverse watch: a browser
  restored from a recovery phrase has lost its friend list, but its friends still watch it, so
  it is told of, and tells, exactly those who list its handle).
- A = B: either of them lists A. The devices of one account may always know of each other.

The rule is ``mutual``, and what a change of one device's watch makes the board say is
``presence_notices``: pure functions that the in-process board here and the Redis directory
both call, so the two cannot drift apart.
"""

import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from signaling import limits
from signaling.ownership import owner_of

Notice = tuple[str, str, bool]  # (tell this route key, about this peer id, online?)

# A departed device's watch is remembered this long, so that a friend dialling it soon after
# still hears EXPIRE at once (see signaling.consumer), while a stranger does not.
DEPARTED_SECONDS = 600.0
MAX_DEPARTED = 100_000


@dataclass(frozen=True, slots=True)
class Watch:
    """What one connection asked to hear of: handles (route keys), and whether its watchers too."""

    handles: frozenset[str] = frozenset()
    watchers: bool = False


@dataclass(frozen=True, slots=True)
class Peer:
    """Another connected device as one watcher sees it: all that ``mutual`` needs of it."""

    key: str  # its route key
    peer_id: str  # as it connected (its route key, where only its departed watch is left)
    lists_me: bool  # its watch names the watcher's handle
    watchers: bool  # it asked to hear of its watchers

    @classmethod
    def seen_by(cls, owner: str, key: str, peer_id: str, watch: Watch) -> "Peer":
        return cls(key, peer_id, owner in watch.handles, watch.watchers)


def mutual(owner: str, watch: Watch, other: Peer) -> bool:
    """May a device of ``owner`` watching ``watch`` and ``other`` hear of each other?"""
    other_owner = owner_of(other.key)
    if other_owner == owner:
        return owner in watch.handles or other.lists_me
    i_list = other_owner in watch.handles
    return (i_list and (other.lists_me or other.watchers)) or (other.lists_me and watch.watchers)


def concerned(owner: str, *watches: Watch | None) -> tuple[frozenset[str], bool]:
    """Whose devices a change between ``watches`` may concern: handles, and my watchers or not.

    ``mutual`` can hold only with a device of a handle I list, of my own handle, or (with
    ``watchers``) with a device that lists me: a board asks for exactly those.
    """
    handles, reverse = {owner}, False
    for watch in watches:
        if watch is not None:
            handles |= watch.handles
            reverse = reverse or watch.watchers
    return frozenset(handles), reverse


def presence_notices(
    key: str, peer_id: str, before: Watch | None, after: Watch | None, fresh: bool, others: Iterable[Peer]
) -> list[Notice]:
    """What a change of the device ``key`` from ``before`` to ``after`` makes the board say.

    None is "not on the board": before its first WATCH, after it has left. ``others`` are the
    connected devices ``concerned`` names. A ``fresh`` watcher (the first WATCH of a connection,
    also after a take-over that inherited the watch) is told of every mutual device; otherwise
    only of devices that became mutual. The others hear only changes: a reloaded tab is no news
    to them. A device that narrows its own watch is not told: it knows what it dropped.
    """
    owner = owner_of(key)
    notices: list[Notice] = []
    for other in sorted(others, key=lambda peer: peer.key):
        if other.key == key:
            continue  # never about itself
        was = before is not None and mutual(owner, before, other)
        now = after is not None and mutual(owner, after, other)
        if now and (fresh or not was):
            notices.append((key, other.peer_id, True))
        if now != was:
            notices.append((other.key, peer_id, now))
    return notices


@dataclass(slots=True)
class Device:
    """One device on the board: the peer id it is known by and its watch."""

    peer_id: str
    watch: Watch = field(default_factory=Watch)


class PresenceBoard:
    """The watches of the connections of this process, indexed the ways ``concerned`` asks."""

    def __init__(self) -> None:
        self._devices: dict[str, Device] = {}
        self._owned: dict[str, set[str]] = {}  # handle -> its devices' keys
        self._listed: dict[str, set[str]] = {}  # handle -> keys of the devices that list it
        self._departed: OrderedDict[str, tuple[Watch, float]] = OrderedDict()

    def watch(self, key: str, peer_id: str, watch: Watch, fresh: bool) -> list[Notice]:
        """Replaces the watch of ``key``; returns who must be told what."""
        owner = owner_of(key)
        before = self._devices.get(key)
        was = before.watch if before is not None else None
        self._unindex(key, was)
        self._devices[key] = Device(peer_id, watch)
        self._owned.setdefault(owner, set()).add(key)
        for handle in watch.handles:
            self._listed.setdefault(handle, set()).add(key)
        self._departed.pop(key, None)
        return presence_notices(key, peer_id, was, watch, fresh, self._peers(key, concerned(owner, was, watch)))

    def leave(self, key: str) -> list[Notice]:
        """``key`` has gone (its connection is not taken over): its mutual devices are told."""
        device = self._devices.pop(key, None)
        if device is None:
            return []
        self._unindex(key, device.watch)
        self._remember(key, device.watch)
        owner = owner_of(key)
        others = self._peers(key, concerned(owner, device.watch))
        return presence_notices(key, device.peer_id, device.watch, None, False, others)

    def reach(self, key: str, owner: str) -> Peer | None:
        """``key`` as a device of ``owner`` sees it: now, or when it was last connected, not long ago."""
        device = self._devices.get(key)
        if device is not None:
            return Peer.seen_by(owner, key, device.peer_id, device.watch)
        departed = self._departed.get(key)
        if departed is None:
            return None
        watch, expiry = departed
        if expiry < limits.clock():
            del self._departed[key]
            return None
        return Peer.seen_by(owner, key, key, watch)

    def devices(self, key: str, handle: str) -> list[Peer]:
        """The connected devices of ``handle``, as ``key``'s owner sees them."""
        return self._peers(key, (frozenset({handle}), False))

    def _peers(self, key: str, wanted: tuple[frozenset[str], bool]) -> list[Peer]:
        handles, reverse = wanted
        owner = owner_of(key)
        keys = set().union(*(self._owned.get(handle, ()) for handle in handles))
        if reverse:
            keys |= self._listed.get(owner, set())
        keys.discard(key)
        return [Peer.seen_by(owner, k, self._devices[k].peer_id, self._devices[k].watch) for k in keys]

    def _unindex(self, key: str, watch: Watch | None) -> None:
        owner = owner_of(key)
        _discard(self._owned, owner, key)
        for handle in watch.handles if watch is not None else ():
            _discard(self._listed, handle, key)

    def _remember(self, key: str, watch: Watch) -> None:
        self._departed.pop(key, None)
        self._departed[key] = (watch, limits.clock() + DEPARTED_SECONDS)
        while len(self._departed) > MAX_DEPARTED:
            self._departed.popitem(last=False)


def _discard(index: dict[str, set[str]], name: str, key: str) -> None:
    keys = index.get(name)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[name]


def presence_text(peer_id: str, online: bool) -> str:
    return json.dumps({"type": "PRESENCE", "payload": {"handle": peer_id, "online": online}}, separators=(",", ":"))
