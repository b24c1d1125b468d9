"""Who is connected where, across server processes, and who watches whom.

With the in-memory channel layer there is one process, and the switchboard and presence board
of signaling.switchboard know everything: ``LocalDirectory`` says so. With channels_redis,
``RedisDirectory`` keeps in Redis, for each connected handle, the channel of the consumer that
holds it and the handles it watches. Entries expire unless refreshed, so a crashed process
leaves no ghosts for longer than ``SIGNALING_PRESENCE_TTL`` seconds.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from signaling.presence import Notice


def ttl_seconds() -> int:
    return settings.SIGNALING_PRESENCE_TTL


def refresh_seconds() -> float:
    """Connections refresh their entries this often: well within the TTL."""
    return settings.SIGNALING_PRESENCE_TTL / 3


# Deletes a key only while it still holds our value: a newer connection's claim stays.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Location:
    channel: str
    peer_id: str


class LocalDirectory:
    """One process: everyone is in the switchboard; presence is the process's board."""

    shared = False

    def __init__(self, board) -> None:
        self.board = board

    async def claim(self, key: str, channel: str, peer_id: str) -> str | None:
        return None

    async def refresh(self, key: str, channel: str, peer_id: str) -> None:
        return None

    async def locate(self, key: str) -> Location | None:
        return None

    async def watch(self, key: str, peer_id: str, keys: frozenset[str]) -> list[Notice]:
        return self.board.watch(key, peer_id, keys)

    async def leave(self, key: str, channel: str, peer_id: str) -> list[Notice]:
        return self.board.leave(key)


class RedisDirectory:
    """Many processes: locations and watch lists in Redis, shared by all of them."""

    shared = True

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        # Any: redis-py's types cannot tell that decode_responses makes every answer a str.
        self.redis: Any = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        self._release = self.redis.register_script(_RELEASE)

    @staticmethod
    def _where(key: str) -> str:
        return f"peerwall:peer:{key}"

    @staticmethod
    def _watching(key: str) -> str:
        return f"peerwall:watch:{key}"

    @staticmethod
    def _value(channel: str, peer_id: str) -> str:
        return f"{channel}\n{peer_id}"

    async def claim(self, key: str, channel: str, peer_id: str) -> str | None:
        """Records this connection as the holder of ``key``; returns the previous holder's channel."""
        previous = await self.redis.set(self._where(key), self._value(channel, peer_id), ex=ttl_seconds(), get=True)
        if previous:
            old_channel = previous.split("\n", 1)[0]
            return old_channel if old_channel != channel else None
        return None

    async def refresh(self, key: str, channel: str, peer_id: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._where(key), self._value(channel, peer_id), ex=ttl_seconds())
            pipe.expire(self._watching(key), ttl_seconds())
            await pipe.execute()

    async def locate(self, key: str) -> Location | None:
        value = await self.redis.get(self._where(key))
        if not value:
            return None
        channel, _, peer_id = value.partition("\n")
        return Location(channel, peer_id)

    async def _others(self, key: str, others: list[str]) -> dict[str, tuple[bool, str | None]]:
        """For each other key: does it watch ``key``, and its peer id if connected."""
        if not others:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for other in others:
                pipe.sismember(self._watching(other), key)
                pipe.get(self._where(other))
            answers = await pipe.execute()
        result = {}
        for i, other in enumerate(others):
            watches_back, where = answers[2 * i], answers[2 * i + 1]
            result[other] = (bool(watches_back), where.partition("\n")[2] if where else None)
        return result

    async def watch(self, key: str, peer_id: str, keys: frozenset[str]) -> list[Notice]:
        keys = keys - {key}
        name = self._watching(key)
        before = set(await self.redis.smembers(name))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(name)
            if keys:
                pipe.sadd(name, *keys)
                pipe.expire(name, ttl_seconds())
            await pipe.execute()
        state = await self._others(key, sorted(before | keys))
        notices: list[Notice] = []
        for other, (watches_back, other_peer_id) in state.items():
            if not watches_back or other_peer_id is None:
                continue
            if other in keys and other not in before:
                notices.append((key, other_peer_id, True))
                notices.append((other, peer_id, True))
            elif other in before and other not in keys:
                notices.append((other, peer_id, False))
        return notices

    async def leave(self, key: str, channel: str, peer_id: str) -> list[Notice]:
        """Forgets this connection; returns the mutual watchers to tell that it left."""
        before = sorted(await self.redis.smembers(self._watching(key)))
        released = await self._release(
            keys=[self._where(key), self._watching(key)], args=[self._value(channel, peer_id)]
        )
        if not released:
            return []  # a newer connection holds the handle: it has not left
        state = await self._others(key, before)
        return [(other, peer_id, False) for other, (watches_back, pid) in state.items() if watches_back and pid]


_directories: dict[tuple[int, str], RedisDirectory] = {}


def directory_for(layer, board) -> "LocalDirectory | RedisDirectory":
    """The directory that matches the channel layer: Redis-backed for channels_redis."""
    hosts = getattr(layer, "hosts", None)
    if not hosts:
        return LocalDirectory(board)
    address = hosts[0].get("address") if isinstance(hosts[0], dict) else hosts[0]
    # Redis connections belong to an event loop; tests run many loops.
    cache_key = (id(asyncio.get_running_loop()), str(address))
    directory = _directories.get(cache_key)
    if directory is None:
        directory = _directories[cache_key] = RedisDirectory(str(address))
    return directory
