"""Who is connected where, across server processes, and who watches whom.

With the in-memory channel layer there is one process: the switchboard knows every connection
and ``LocalDirectory`` keeps watches on the process's presence board. With channels_redis,
``RedisDirectory`` keeps in Redis, for each connected peer id, the channel of the consumer that
holds it and its watch, and the two indexes presence asks by (an account's devices, and who
lists a handle). Entries expire unless refreshed, so a crashed process leaves no ghosts for
longer than ``SIGNALING_PRESENCE_TTL`` seconds. Which one runs follows the channel layer's
BACKEND (``directory_for``). Both leave the rule itself to signaling.presence.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from signaling.ownership import owner_of
from signaling.presence import (
    DEPARTED_SECONDS,
    Notice,
    Peer,
    PresenceBoard,
    Watch,
    concerned,
    presence_notices,
)


def ttl_seconds() -> int:
    return settings.SIGNALING_PRESENCE_TTL


def refresh_seconds() -> float:
    """Connections refresh their entries this often: well within the TTL."""
    return settings.SIGNALING_PRESENCE_TTL / 3


def _watch_ttl() -> int:
    return ttl_seconds() + int(DEPARTED_SECONDS)


@dataclass(frozen=True, slots=True)
class Location:
    """Where one connection is: its process's channel, its peer id, and its own id there.

    Several connections share a process's channel; ``connection`` tells them apart, so that a
    take-over closes the connection that was displaced and never one that came after it.
    """

    channel: str
    peer_id: str
    connection: str = ""


class Directory(Protocol):
    async def claim(self, key: str, here: Location) -> Location | None:
        """Records this connection as the holder of ``key``; returns a displaced holder elsewhere."""

    async def refresh(self, key: str, here: Location) -> None:
        """Keeps a live connection's entries from expiring."""

    async def locate(self, key: str) -> Location | None:
        """Where ``key`` is connected in another process, if anywhere."""

    async def reach(self, key: str, owner: str) -> tuple[Location | None, Peer | None]:
        """``locate(key)``, and ``key`` as a device of ``owner`` sees it (see PresenceBoard.reach)."""

    async def watch(self, key: str, peer_id: str, watch: Watch, fresh: bool) -> list[Notice]:
        """Replaces the watch of ``key``; returns who must be told what."""

    async def leave(self, key: str, here: Location) -> list[Notice]:
        """Forgets this connection unless a newer one holds ``key``; returns whom to tell."""

    async def devices(self, key: str, handle: str) -> list[Peer]:
        """The connected devices of ``handle`` on the board, as ``key``'s owner sees them."""


class LocalDirectory:
    """One process: everyone is in the switchboard; presence is the process's board."""

    def __init__(self, board: PresenceBoard) -> None:
        self.board = board

    async def claim(self, key: str, here: Location) -> Location | None:
        return None

    async def refresh(self, key: str, here: Location) -> None:
        return None

    async def locate(self, key: str) -> Location | None:
        return None

    async def reach(self, key: str, owner: str) -> tuple[Location | None, Peer | None]:
        return None, self.board.reach(key, owner)

    async def watch(self, key: str, peer_id: str, watch: Watch, fresh: bool) -> list[Notice]:
        return self.board.watch(key, peer_id, watch, fresh)

    async def leave(self, key: str, here: Location) -> list[Notice]:
        return self.board.leave(key)

    async def devices(self, key: str, handle: str) -> list[Peer]:
        return self.board.devices(key, handle)


# How a watch is kept in Redis: one set of route keys, with two members no handle can be (a
# handle is letters, digits and "_"). ON_BOARD is always there, so the set exists exactly while
# the device is on the presence board (it has sent WATCH), as the board's own entry does.
ON_BOARD = "."
WATCHERS = "*"


def _named(kind: str) -> Callable[[str], str]:
    """The Redis key of one kind of entry, for a route key: ``peerwall:<kind>:<key>``."""
    return f"peerwall:{kind}:{{}}".format


_WHERE = _named("peer")  # where a peer id is connected (a Location)
_WATCHING = _named("watch")  # its watch, while it is on the board
_DEPARTED = _named("departed")  # its watch after it left, for DEPARTED_SECONDS
_DEVICES = _named("devices")  # an account's devices on the board
# The devices whose watch names a handle: whom a reverse watch asks. It has no TTL (a live
# device's entries must not lapse while its watch stands, and refreshing every entry would cost
# a write per handle it lists): a leave takes the device out, and a crashed process's devices go
# when they connect again or when a reverse watch finds them connected nowhere (_PRUNE).
_LISTED = _named("listed")

# Takes a device off the board: out of its account's devices (KEYS[4]) and of the "who lists
# this handle" index, its watch (KEYS[2]) kept a while as "departed" (KEYS[3]; see
# signaling.presence). The index keys are built here from the watch's members, which only a
# single Redis (no cluster) allows; that is what the broker runs on.
_FORGET = f"""
local function forget(device, departed_ttl)
  for _, handle in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    redis.call('SREM', '{_LISTED("")}' .. handle, device)
  end
  redis.call('SREM', KEYS[4], device)
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('RENAME', KEYS[2], KEYS[3])
    redis.call('EXPIRE', KEYS[3], departed_ttl)
  else
    redis.call('DEL', KEYS[3])
  end
end
"""

# Deletes a connection's entry only while it still holds our value (a newer connection's claim
# stays), and takes the device off the board.
_RELEASE = (
    _FORGET
    + """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  forget(ARGV[3], ARGV[2])
  return 1
end
return 0
"""
)

# Claims a peer id for this connection. With no previous holder, a watch still there is a crashed
# process's (nobody released it): it is forgotten as at a leave, so the new watch starts afresh.
_CLAIM = (
    _FORGET
    + """
local previous = redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'GET')
if not previous then
  forget(ARGV[4], ARGV[3])
end
return previous
"""
)

# Drops from an index set (KEYS[1]) the devices named that are connected nowhere (a crashed
# process's), checked in Redis so that one connecting meanwhile is kept.
_PRUNE = f"""
for _, device in ipairs(ARGV) do
  if redis.call('EXISTS', '{_WHERE("")}' .. device) == 0 then
    redis.call('SREM', KEYS[1], device)
  end
end
"""


class RedisDirectory:
    """Many processes: locations, watches and their indexes in Redis, shared by all of them."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        # A pool that waits for a free connection: redis-py's default pool raises at once when
        # more than 100 handshakes want one, which refused connections under load.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=64, timeout=10, socket_timeout=5, decode_responses=True
        )
        # Any: redis-py's types cannot tell that decode_responses makes every answer a str.
        self.redis: Any = redis.Redis(connection_pool=pool)
        self._release = self.redis.register_script(_RELEASE)
        self._claim = self.redis.register_script(_CLAIM)
        self._prune = self.redis.register_script(_PRUNE)

    _where = staticmethod(_WHERE)
    _watching = staticmethod(_WATCHING)
    _departed = staticmethod(_DEPARTED)
    _devices = staticmethod(_DEVICES)
    _listed = staticmethod(_LISTED)

    def _entries(self, key: str) -> list[str]:
        """The keys _RELEASE and _CLAIM take, in their order."""
        return [self._where(key), self._watching(key), self._departed(key), self._devices(owner_of(key))]

    @staticmethod
    def _value(here: Location) -> str:
        return f"{here.channel}\n{here.peer_id}\n{here.connection}"

    @staticmethod
    def _location(value: str | None) -> Location | None:
        if not value:
            return None
        channel, _, rest = value.partition("\n")
        peer_id, _, connection = rest.partition("\n")
        return Location(channel, peer_id, connection)

    @staticmethod
    def _members(watch: Watch) -> list[str]:
        return [ON_BOARD, *watch.handles, *([WATCHERS] if watch.watchers else [])]

    @staticmethod
    def _watch(members: set[str]) -> Watch | None:
        if ON_BOARD not in members:
            return None
        return Watch(frozenset(members - {ON_BOARD, WATCHERS}), WATCHERS in members)

    async def claim(self, key: str, here: Location) -> Location | None:
        previous = self._location(
            await self._claim(
                keys=self._entries(key),
                args=[self._value(here), ttl_seconds(), int(DEPARTED_SECONDS), key],
            )
        )
        # A holder in this same process was displaced through the switchboard already.
        return previous if previous is not None and previous.channel != here.channel else None

    async def refresh(self, key: str, here: Location) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._where(key), self._value(here), ex=ttl_seconds())
            # The watch outlives the location: after a crash it is the departed memory.
            pipe.expire(self._watching(key), _watch_ttl())
            pipe.expire(self._devices(owner_of(key)), _watch_ttl())
            await pipe.execute()

    async def locate(self, key: str) -> Location | None:
        return self._location(await self.redis.get(self._where(key)))

    async def reach(self, key: str, owner: str) -> tuple[Location | None, Peer | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._where(key))
            pipe.smismember(self._watching(key), [ON_BOARD, owner, WATCHERS])
            pipe.smismember(self._departed(key), [ON_BOARD, owner, WATCHERS])
            where, watching, departed = await pipe.execute()
        location = self._location(where)
        # Connected: as it watches now (nothing before its first WATCH). Else as it left, lately:
        # its departed watch, or the watch a crashed process left behind, until that expires.
        on_board, lists_me, watchers = watching if location is not None or watching[0] else departed
        if not on_board:
            return location, None
        return location, Peer(key, location.peer_id if location else key, bool(lists_me), bool(watchers))

    async def _peers(self, key: str, wanted: tuple[frozenset[str], bool]) -> list[Peer]:
        """The connected devices on the board that ``wanted`` (see presence.concerned) names."""
        handles, reverse = wanted
        owner = owner_of(key)
        sets = [self._devices(handle) for handle in sorted(handles)]
        if reverse:
            sets.append(self._listed(owner))
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in sets:
                pipe.smembers(name)
            found = dict(zip(sets, await pipe.execute(), strict=True))
        keys = sorted(set().union(*found.values()) - {key})
        if not keys:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for other in keys:
                pipe.get(self._where(other))
                pipe.smismember(self._watching(other), [ON_BOARD, owner, WATCHERS])
            answers = await pipe.execute()
        peers, gone = [], set()
        for other, where, (on_board, lists_me, watchers) in zip(keys, answers[::2], answers[1::2], strict=True):
            location = self._location(where)
            if location is None:
                gone.add(other)
            elif on_board:
                peers.append(Peer(other, location.peer_id, bool(lists_me), bool(watchers)))
        for name, members in found.items():  # a crashed process's devices, seen here: forgotten
            if members & gone:
                await self._prune(keys=[name], args=sorted(members & gone))
        return peers

    async def watch(self, key: str, peer_id: str, watch: Watch, fresh: bool) -> list[Notice]:
        name, owner = self._watching(key), owner_of(key)
        was = self._watch(set(await self.redis.smembers(name)))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(name, self._departed(key))
            pipe.sadd(name, *self._members(watch))
            pipe.expire(name, _watch_ttl())
            pipe.sadd(self._devices(owner), key)
            pipe.expire(self._devices(owner), _watch_ttl())
            for handle in (was.handles if was is not None else frozenset()) - watch.handles:
                pipe.srem(self._listed(handle), key)
            for handle in watch.handles:
                pipe.sadd(self._listed(handle), key)
            await pipe.execute()
        others = await self._peers(key, concerned(owner, was, watch))
        return presence_notices(key, peer_id, was, watch, fresh, others)

    async def leave(self, key: str, here: Location) -> list[Notice]:
        was = self._watch(set(await self.redis.smembers(self._watching(key))))
        released = await self._release(keys=self._entries(key), args=[self._value(here), int(DEPARTED_SECONDS), key])
        if not released or was is None:
            return []  # a newer connection holds the peer id (it has not left), or it never watched
        others = await self._peers(key, concerned(owner_of(key), was))
        return presence_notices(key, here.peer_id, was, None, False, others)

    async def devices(self, key: str, handle: str) -> list[Peer]:
        return await self._peers(key, (frozenset({handle}), False))


_directories: dict[tuple[int, str], RedisDirectory] = {}
REDIS_LAYERS = {"channels_redis.pubsub.RedisPubSubChannelLayer", "channels_redis.core.RedisChannelLayer"}


def directory_for(board: PresenceBoard) -> Directory:
    """The directory that matches the default channel layer's BACKEND: Redis for channels_redis."""
    config = settings.CHANNEL_LAYERS.get("default", {})
    if config.get("BACKEND") not in REDIS_LAYERS:
        return LocalDirectory(board)
    host = config.get("CONFIG", {}).get("hosts", [""])[0]
    address = host.get("address") if isinstance(host, dict) else host
    # Redis connections belong to an event loop; tests run many loops.
    cache_key = (id(asyncio.get_running_loop()), str(address))
    directory = _directories.get(cache_key)
    if directory is None:
        directory = _directories[cache_key] = RedisDirectory(str(address))
    return directory
