import asyncio
import math
import time

import pytest
from channels.layers import channel_layers
from django.test import Client

from broker.env import redis_channel_layer
from tests.services import need


@pytest.fixture(autouse=True)
def private_cache(settings, request):
    """Each test gets an empty cache of its own, so allauth's rate limits don't leak between tests."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture
def fast_password_hasher(settings):
    """MD5 instead of Argon2, for tests that make many accounts and test no password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(django_user_model):
    def make(handle: str, password: str = "correct horse battery"):
        return django_user_model.objects.create_user(username=handle, password=password)

    return make


@pytest.fixture
def session_cookie(make_user):
    """Logs a handle in through Django's test client and returns its Cookie header value."""

    def login(handle: str) -> str:
        user = make_user(handle)
        client = Client()
        client.force_login(user)
        return f"sessionid={client.cookies['sessionid'].value}"

    return login


@pytest.fixture
async def net(session_cookie):
    """Logged-in sockets to the real app (tests.sockets.Net); each test's are closed after it."""
    from signaling.switchboard import switchboard
    from tests.sockets import Net

    opened = Net(session_cookie)
    yield opened
    await opened.close_all()
    assert len(switchboard) == 0  # every socket detached when it closed


@pytest.fixture(params=["memory", "redis"])
def channel_layer_backend(request, settings):
    """Runs a test once on the in-memory channel layer and once on the real Redis."""
    if request.param == "redis":
        url = need("REDIS_URL", "Redis")
        config = redis_channel_layer(url)
        request.getfixturevalue("clear_redis_directory")
    else:
        config = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    settings.CHANNEL_LAYERS = {"default": config}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


class FakeClock:
    """Stands in for ``signaling.limits.clock``: the broker's time moves only when the test says so.

    It starts on a whole second, so that steps like 0.5 add up exactly.
    """

    def __init__(self) -> None:
        self.now = float(math.ceil(time.monotonic()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_clock(monkeypatch) -> FakeClock:
    """Every time the signaling code reads (through ``signaling.limits.clock``) comes from here."""
    clock = FakeClock()
    monkeypatch.setattr("signaling.limits.clock", clock)
    return clock


class FramesTaken:
    """Counts the frames that reached a connection's rate limit (``TokenBucket.take``).

    A dropped frame is silent by design, so a test cannot see that the consumer has handled it;
    ``reach(n)`` waits until one connection has put n frames in all through its limit, which is
    when a test may move the fake clock on without racing the frames it already sent. (Counted
    per bucket: a connection may keep other buckets too, e.g. of frames dropped.)
    """

    def __init__(self) -> None:
        self.takes: dict[int, int] = {}

    @property
    def count(self) -> int:
        return max(self.takes.values(), default=0)

    async def reach(self, n: int, seconds: float = 5.0) -> None:
        deadline = time.monotonic() + seconds  # only how long to wait at most; nothing is timed
        while self.count < n:
            if time.monotonic() > deadline:
                pytest.fail(f"only {self.count} of {n} frames reached the rate limit (TokenBucket.take)")
            await asyncio.sleep(0.001)


@pytest.fixture
def frames_taken(monkeypatch) -> FramesTaken:
    from signaling.limits import TokenBucket

    counter = FramesTaken()
    take = TokenBucket.take

    def counted_take(self, *args, **kwargs):
        counter.takes[id(self)] = counter.takes.get(id(self), 0) + 1
        return take(self, *args, **kwargs)

    monkeypatch.setattr(TokenBucket, "take", counted_take)
    return counter


@pytest.fixture(autouse=True)
def fresh_presence():
    """The process's presence board (and its memory of departed handles) is new for each test."""
    from signaling import switchboard

    switchboard.presence.__init__()
    yield
    switchboard.presence.__init__()


@pytest.fixture
def clear_redis_directory():
    """Forgets the Redis directory's keys (departed watch lists outlive a test by minutes)."""
    import redis

    client = redis.Redis.from_url(need("REDIS_URL", "Redis"))
    for key in client.scan_iter("peerwall:*"):
        client.delete(key)
    yield
    for key in client.scan_iter("peerwall:*"):
        client.delete(key)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's, then: the broker's own database connection is closed before tear-down.

    The broker keeps a database connection in asgiref's one sync thread (signaling.auth), and
    PostgreSQL refuses to drop a test database that a session still uses.
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
