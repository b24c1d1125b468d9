"""Real PostgreSQL and Redis (and the other outside tools) for the tests that need them.

A test that cannot run here because something outside Python is missing (DATABASE_URL /
REDIS_URL unset, a database that is not PostgreSQL, no PostgreSQL unix socket, no redis-server
or Chromium binary, ...) calls ``skip_or_fail(reason)``: on a developer's machine that skips the
test with the reason; with ``REQUIRE_SERVICES=1`` or ``CI=true`` (as in CI) it fails it, so CI
cannot go green without the real services. No test skips for such a reason any other way.
"""

import os
from typing import NoReturn

import pytest

_FALSE = {"", "0", "false", "no", "off"}


def _flag(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() not in _FALSE


def services_required() -> bool:
    """True under ``REQUIRE_SERVICES=1`` or ``CI=true``: a missing service is a failure, not a skip."""
    return _flag("REQUIRE_SERVICES") or _flag("CI")


def skip_or_fail(reason: str) -> NoReturn:
    """Skips the test because of ``reason``, or fails it when services are required."""
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES or CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def need(variable: str, what: str) -> str:
    """The value of ``variable`` (a ``what`` URL), or a skip / failure saying it is unset."""
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    skip_or_fail(f"{variable} is unset: set it to a {what} URL to run this test against the real service")


def need_postgresql() -> str:
    """DATABASE_URL, which must name a PostgreSQL server."""
    url = need("DATABASE_URL", "PostgreSQL")
    if not url.startswith(("postgres://", "postgresql://")):
        skip_or_fail(f"DATABASE_URL is not PostgreSQL ({url.split(':', 1)[0]})")
    return url
