"""The Redis directory on its own: refresh() keeps a live connection's entries, and only refresh().

Every entry of RedisDirectory expires SIGNALING_PRESENCE_TTL seconds after it was last written,
so that a crashed process leaves no ghosts; a live connection's consumer calls refresh() as its
frames come in (tests/test_scale_out.py checks that end to end, across two processes). Here the
directory is driven directly, with a TTL of 2 s, against the real Redis.
"""

import asyncio
import secrets

import pytest

from signaling.directory import Location, RedisDirectory, refresh_seconds
from signaling.presence import DEPARTED_SECONDS, Peer, Watch
from tests.services import need

pytestmark = pytest.mark.services
TTL = 2


@pytest.fixture
def redis_url(settings) -> str:
    settings.SIGNALING_PRESENCE_TTL = TTL
    return need("REDIS_URL", "Redis")


async def test_refresh_keeps_a_live_connections_entries_and_without_it_they_expire(redis_url):
    directory = RedisDirectory(redis_url)
    key, friend = f"refresh_{secrets.token_hex(4)}", f"friend_{secrets.token_hex(4)}"
    channel = "specific.test!refresh"
    here = Location(channel, key, "1")
    try:
        assert refresh_seconds() < TTL  # connections refresh well within the TTL
        await directory.claim(key, here)
        await directory.watch(key, key, Watch(frozenset({friend})), True)

        # Refreshed every 0.3 s (a heartbeating client's connection), for over twice the TTL.
        loop = asyncio.get_running_loop()
        until = loop.time() + 2 * TTL + 0.5
        while loop.time() < until:
            await directory.refresh(key, here)
            await asyncio.sleep(0.3)
        assert await directory.locate(key) == here
        # Its watch lives on too: it lists the friend.
        assert await directory.reach(key, friend) == (here, Peer(key, key, lists_me=True, watchers=False))

        # No refresh any more (the process crashed): where it was expires by itself. Whom it
        # watched is kept as for a handle that left, so a friend still hears EXPIRE at once and
        # a stranger does not; that memory expires too, DEPARTED_SECONDS later.
        deadline = loop.time() + TTL + 3
        while await directory.locate(key) is not None:
            if loop.time() > deadline:
                pytest.fail(f"the location of {key} never expired")
            await asyncio.sleep(0.2)
        assert await directory.reach(key, friend) == (None, Peer(key, key, lists_me=True, watchers=False))
        assert await directory.reach(key, "stranger") == (None, Peer(key, key, lists_me=False, watchers=False))
        assert 0 < await directory.redis.ttl(directory._watching(key)) <= TTL + DEPARTED_SECONDS

        # The handle connects again: the stale list is its departed memory, not its new list.
        await directory.claim(key, here)
        assert await directory.redis.exists(directory._watching(key)) == 0
        assert await directory.watch(key, key, Watch(frozenset({friend})), True) == []
    finally:
        await directory.redis.delete(*directory._entries(key), directory._listed(friend))
        await directory.redis.aclose()
