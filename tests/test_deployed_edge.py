"""The server as the image runs it (deploy/Dockerfile's CMD, DEBUG=0) at its edge: whose address
the limits count, and HTTPS-only answers.

Behind Caddy, the client's address and scheme come in X-Forwarded-For and X-Forwarded-Proto.
The image's server believes them only from FORWARDED_ALLOW_IPS (compose: Caddy's address); a
client that sends them itself must not pick the address its sign-ups are counted against.
"""

import http.cookiejar
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.deployed_server import collectstatic
from tests.e2e.harness import LiveServer

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    try:
        collectstatic(root)
    except RuntimeError as error:
        pytest.fail(str(error))
    return root


@pytest.fixture(scope="module")
def start(static_root, tmp_path_factory) -> Iterator[Callable[[str], LiveServer]]:
    """Starts the image's server in production mode, trusting forwarded headers from ``proxy``."""
    started: list[LiveServer] = []

    def run(proxy: str) -> LiveServer:
        env = {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": str(static_root),
            # These tests speak plain HTTP to the server, as Caddy does; the cookies still work.
            "SECURE_COOKIES": "0",
            "SIGNUP_RATE_LIMIT": "3/m/ip",
            "FORWARDED_ALLOW_IPS": proxy,
        }
        server = LiveServer.start(tmp_path_factory.mktemp("edge"), env=env, deployed=True)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


def sign_up(server: LiveServer, headers: dict[str, str]) -> int:
    """Signs a new handle up through the real form, sending ``headers``; the answer's status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), urllib.request.ProxyHandler({}))
    page = (
        opener.open(urllib.request.Request(f"{server.url}/accounts/signup/", headers=headers), timeout=10)
        .read()
        .decode()
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    handle = f"u{secrets.token_hex(4)}"
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": handle, "password1": PASSWORD, "password2": PASSWORD}
    ).encode()
    request = urllib.request.Request(f"{server.url}/accounts/signup/", data=form, headers=headers)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_forged_forwarded_for_does_not_dodge_the_sign_up_limit(start):
    server = start("10.255.255.1")  # some proxy that is not us
    answers = [sign_up(server, {"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(1, 6)]
    assert answers == [200, 200, 200, 429, 429], answers


def test_behind_the_trusted_proxy_limits_count_the_real_client(start):
    server = start("127.0.0.1")  # we are the proxy now: X-Forwarded-For names the client
    first = [sign_up(server, {"X-Forwarded-For": "198.51.100.7"}) for _ in range(4)]
    assert first == [200, 200, 200, 429], first
    assert sign_up(server, {"X-Forwarded-For": "198.51.100.8"}) == 200


def head(server: LiveServer, headers: dict[str, str]) -> dict[str, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(f"{server.url}/", headers=headers), timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}


def test_https_answers_carry_hsts_and_a_forged_scheme_gets_none(start):
    trusting = start("127.0.0.1")
    hsts = head(trusting, {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}).get(
        "strict-transport-security"
    )
    assert hsts is not None and int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 180 * 24 * 3600
    assert "strict-transport-security" not in head(trusting, {})
    untrusting = start("10.255.255.1")
    assert "strict-transport-security" not in head(untrusting, {"X-Forwarded-Proto": "https"})
