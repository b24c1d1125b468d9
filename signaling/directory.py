"""Who is connected where, across server processes, and who watches whom.

With the in-memory channel layer there is one process: the switchboard knows every connection
and ``LocalDirectory`` keeps watch lists on the process's presence board. With channels_redis,
``RedisDirectory`` keeps in Redis, for each connected handle, the channel of the consumer that
holds it and the handles it watches. Entries expire unless refreshed, so a crashed process
leaves no ghosts for longer than ``SIGNALING_PRESENCE_TTL`` seconds. Which one runs follows the
channel layer's BACKEND (``directory_for``).
"""

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from signaling.presence import DEPARTED_SECONDS, Notice, PresenceBoard, presence_notices


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

    async def reach(self, key: str, caller: str) -> tuple[Location | None, bool]:
        """``locate(key)``, and whether ``key`` watches ``caller`` (now, or when it left not long ago)."""

    async def watch(self, key: str, peer_id: str, keys: frozenset[str], fresh: bool) -> list[Notice]:
        """Replaces the watch list of ``key``; returns who must be told what."""

    async def leave(self, key: str, here: Location) -> list[Notice]:
        """Forgets this connection unless a newer one holds ``key``; returns whom to tell."""


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

    async def reach(self, key: str, caller: str) -> tuple[Location | None, bool]:
        return None, self.board.watches(key, caller)

    async def watch(self, key: str, peer_id: str, keys: frozenset[str], fresh: bool) -> list[Notice]:
        return self.board.watch(key, peer_id, keys, fresh)

    async def leave(self, key: str, here: Location) -> list[Notice]:
        return self.board.leave(key)


# Deletes a connection's entry only while it still holds our value (a newer connection's claim
# stays), and keeps its watch list a while as "departed" (see signaling.presence).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('RENAME', KEYS[2], KEYS[3])
    redis.call('EXPIRE', KEYS[3], ARGV[2])
  else
    redis.call('DEL', KEYS[3])
  end
  return 1
end
return 0
"""


# Claims a handle for this connection. With no previous holder, a watch list still there is a
# crashed process's (nobody released it): it becomes "departed" so the new list starts afresh.
_CLAIM = """
local previous = redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'GET')
if not previous and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[3])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return previous
"""


class RedisDirectory:
    """Many processes: locations and watch lists in Redis, shared by all of them."""

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

    @staticmethod
    def _where(key: str) -> str:
        return f"peerwall:peer:{key}"

    @staticmethod
    def _watching(key: str) -> str:
        return f"peerwall:watch:{key}"

    @staticmethod
    def _departed(key: str) -> str:
        return f"peerwall:departed:{key}"

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

    async def claim(self, key: str, here: Location) -> Location | None:
        previous = self._location(
            await self._claim(
                keys=[self._where(key), self._watching(key), self._departed(key)],
                args=[self._value(here), ttl_seconds(), int(DEPARTED_SECONDS)],
            )
        )
        # A holder in this same process was displaced through the switchboard already.
        return previous if previous is not None and previous.channel != here.channel else None

    async def refresh(self, key: str, here: Location) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._where(key), self._value(here), ex=ttl_seconds())
            # The watch list outlives the location: after a crash it is the departed memory.
            pipe.expire(self._watching(key), _watch_ttl())
            await pipe.execute()

    async def locate(self, key: str) -> Location | None:
        return self._location(await self.redis.get(self._where(key)))

    async def reach(self, key: str, caller: str) -> tuple[Location | None, bool]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._where(key))
            pipe.sismember(self._watching(key), caller)
            pipe.sismember(self._departed(key), caller)
            where, watching, departed = await pipe.execute()
        location = self._location(where)
        return location, bool(watching) if location is not None else bool(watching or departed)

    async def _others(self, key: str, others: list[str]) -> dict[str, str | None]:
        """For each other key: its peer id if it is connected and watches ``key``, else None."""
        if not others:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for other in others:
                pipe.sismember(self._watching(other), key)
                pipe.get(self._where(other))
            answers = await pipe.execute()
        result: dict[str, str | None] = {}
        for i, other in enumerate(others):
            watches_back, location = answers[2 * i], self._location(answers[2 * i + 1])
            result[other] = location.peer_id if watches_back and location is not None else None
        return result

    async def watch(self, key: str, peer_id: str, keys: frozenset[str], fresh: bool) -> list[Notice]:
        keys = keys - {key}
        name = self._watching(key)
        before = frozenset(await self.redis.smembers(name))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(name, self._departed(key))
            if keys:
                pipe.sadd(name, *keys)
                pipe.expire(name, _watch_ttl())
            await pipe.execute()
        state = await self._others(key, sorted(before | keys))
        return presence_notices(key, peer_id, before, keys, fresh, state.__getitem__)

    async def leave(self, key: str, here: Location) -> list[Notice]:
        before = sorted(await self.redis.smembers(self._watching(key)))
        released = await self._release(
            keys=[self._where(key), self._watching(key), self._departed(key)],
            args=[self._value(here), int(DEPARTED_SECONDS)],
        )
        if not released:
            return []  # a newer connection holds the handle: it has not left
        state = await self._others(key, before)
        return [(other, here.peer_id, False) for other in before if state[other] is not None]


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
