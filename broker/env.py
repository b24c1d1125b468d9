"""Reading settings from the environment (12-factor), with the parsing in one place."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma- or whitespace-separated list; empty entries are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item for item in raw.replace(",", " ").split() if item]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def redis_channel_layer(url: str) -> dict:
    """channels_redis on ``url``, its Pub/Sub layer.

    Signaling needs no queue that outlives a process: a frame for a process that is gone is lost
    as a frame to a closed socket would be. Pub/Sub sends a message with one PUBLISH and pushes it
    to the subscribed process, where the core layer spends four round trips on each send
    (ZREMRANGEBYSCORE, ZCOUNT, ZADD, EXPIRE) and a blocking pop on each receive.

    socket_timeout=None: redis-py 8 defaults to 5 s, and the subscriber's connection is idle for
    longer than that between messages (redis-py#4091, channels_redis#422).
    """
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": None}]},
    }
