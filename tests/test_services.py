"""With DATABASE_URL and REDIS_URL set (as in CI), the suite runs on the real services."""

import os

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from tests.services import need, need_postgresql


@pytest.mark.services
@pytest.mark.django_db
def test_accounts_live_in_postgresql_when_configured(make_user):
    need_postgresql()
    assert connection.vendor == "postgresql"
    make_user("pg_user")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auth_user WHERE LOWER(username) = 'pg_user'")
        assert cursor.fetchone() == (1,)


@pytest.mark.services
def test_channel_layer_is_redis_when_configured():
    need("REDIS_URL", "Redis")
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis")

    async def round_trip():
        # One event loop, as in a server process (Pub/Sub subscriptions belong to a loop).
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "probe", "n": os.getpid()})
        return await layer.receive(channel)

    assert async_to_sync(round_trip)() == {"type": "probe", "n": os.getpid()}
