"""Real PostgreSQL and Redis for the tests that need them.

Unset DATABASE_URL / REDIS_URL skip those tests with the reason; REQUIRE_SERVICES=1 (as in CI)
turns such a skip into a failure, so CI cannot go green without the real services.
"""

import os

import pytest


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").strip() in {"1", "true", "yes"}


def need(variable: str, what: str) -> str:
    value = os.environ.get(variable, "").strip()
    if value:
        return value
    message = f"{variable} is unset: set it to a {what} URL to run this test against the real service"
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)
    raise AssertionError("unreachable")
