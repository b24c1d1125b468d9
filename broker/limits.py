"""Per-person request limits for the JSON API: a fixed window counted in the cache.

The cache is Redis when the servers share one (every replica counts the same person), else the
process's memory. allauth limits its own views (log-in, sign-up); these are the other doors a
logged-in browser can knock on in a loop: the handle lookup and the ICE configuration.
"""

import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/m"`` or ``"100/300s"`` as (requests, seconds)."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*", rate)
    if not found:
        raise ImproperlyConfigured(f"A rate limit is like '30/m' or '100/300s', not {rate!r}.")
    count, amount, unit = found.groups()
    return int(count), (int(amount) if amount else 1) * UNITS[unit]


def client_key(request: HttpRequest) -> str:
    """The person when logged in (whatever address they come from), else the address."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def allow(action: str, key: str, rate: str, now: float | None = None) -> tuple[bool, int]:
    """Counts one request of ``key`` for ``action``; (allowed, seconds until the window ends)."""
    count, seconds = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // seconds)
    name = f"limit:{action}:{key}:{window}"
    cache.add(name, 0, timeout=seconds + 1)
    try:
        used = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=seconds + 1)
        used = 1
    return used <= count, int((window + 1) * seconds - now) + 1


def limited(action: str) -> Callable:
    """Answers 429 (JSON, with Retry-After) once a person passes ``API_RATE_LIMITS[action]``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            rate = settings.API_RATE_LIMITS.get(action)
            if rate:
                ok, retry = allow(action, client_key(request), rate)
                if not ok:
                    response = JsonResponse({"error": "Too many requests; please wait a moment."}, status=429)
                    response["Retry-After"] = str(retry)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
