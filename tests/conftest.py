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


@pytest.fixture(params=["memory", "redis"])
def channel_layer_backend(request, settings):
    """Runs a test once on the in-memory channel layer and once on the real Redis."""
    if request.param == "redis":
        url = need("REDIS_URL", "Redis")
        config = redis_channel_layer(url)
    else:
        config = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    settings.CHANNEL_LAYERS = {"default": config}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()
