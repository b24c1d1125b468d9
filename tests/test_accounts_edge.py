"""The accounts edge under attack: wrong passwords, the admin's door, unused pages, API floods.

Each test plays the attacker against the real allauth and Django views; the addresses are the
client's REMOTE_ADDR, as the ASGI server reports it (tests/test_deployed_edge.py checks that a
forged X-Forwarded-For does not change it).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.adapter import KNOWN_BROWSER_COOKIE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    """Each test counts its attempts from zero, in a cache of its own (never the shared Redis)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": os.urandom(8).hex()}
    }


PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent


def log_in(client: Client, handle: str, password: str, address: str):
    return client.post("/accounts/login/", {"login": handle, "password": password}, REMOTE_ADDR=address)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_strangers_wrong_passwords_lock_out_the_stranger_not_the_owner(make_user):
    make_user("bob")
    attacker = Client()
    for _ in range(5):
        log_in(attacker, "bob", "a wrong guess", "203.0.113.9")
    response = log_in(attacker, "bob", PASSWORD, "203.0.113.9")
    assert not logged_in(attacker), "the guesser's address is not limited"
    assert "Too many wrong passwords" in response.content.decode()

    owner = Client()
    log_in(owner, "bob", PASSWORD, "198.51.100.7")
    assert logged_in(owner), "five wrong guesses from a stranger locked the owner out"


def test_guesses_from_everywhere_hit_a_ceiling_that_browsers_bob_used_before_pass(make_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_handle": "6/900s/key"}
    make_user("bob")
    bobs_laptop = Client()
    log_in(bobs_laptop, "bob", PASSWORD, "198.51.100.7")
    assert logged_in(bobs_laptop) and KNOWN_BROWSER_COOKIE in bobs_laptop.cookies
    bobs_laptop.post("/accounts/logout/")

    # A botnet: one guess from each of many addresses, under every per-address limit.
    for i in range(6):
        log_in(Client(), "bob", f"guess {i}", f"203.0.113.{i + 1}")
    stranger = Client()
    response = log_in(stranger, "bob", PASSWORD, "203.0.113.200")
    assert not logged_in(stranger), "past the ceiling, a new browser still got to try"
    assert "browser you have logged in with before" in response.content.decode()
    # Other handles are not touched by bob's ceiling.
    make_user("carol")
    carols = Client()
    log_in(carols, "carol", PASSWORD, "203.0.113.201")
    assert logged_in(carols)

    # bob, from the browser he used before, from a new address: in at once.
    log_in(bobs_laptop, "BOB", PASSWORD, "192.0.2.44")
    assert logged_in(bobs_laptop), "the ceiling locked the owner's own browser out"


def test_a_forged_known_browser_cookie_does_not_pass_the_ceiling(make_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed_handle": "3/900s/key"}
    make_user("bob")
    for i in range(3):
        log_in(Client(), "bob", f"guess {i}", f"203.0.113.{i + 1}")
    forger = Client()
    forger.cookies[KNOWN_BROWSER_COOKIE] = '["bob"]'
    log_in(forger, "bob", PASSWORD, "203.0.113.50")
    assert not logged_in(forger)


def test_the_admin_logs_in_through_allauth_under_its_limits(django_user_model):
    django_user_model.objects.create_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    response = client.get("/admin/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    # The admin's own form takes no password any more.
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 302 and not logged_in(client)
    # Staff passwords are guessed where everyone's are, and limited the same way.
    for _ in range(5):
        log_in(client, "root", "wrong", "203.0.113.7")
    log_in(client, "root", PASSWORD, "203.0.113.7")
    assert not logged_in(client)
    log_in(client, "root", PASSWORD, "198.51.100.1")
    assert logged_in(client)
    assert client.get("/admin/").status_code == 200


def test_the_admin_url_is_configurable():
    probe = (
        "import django; django.setup(); from django.urls import reverse, resolve, Resolver404\n"
        "print(reverse('admin:index'))\n"
        "try:\n    resolve('/admin/'); print('admin/ still there')\nexcept Resolver404:\n    print('admin/ gone')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "broker.settings", "ADMIN_URL": "/staff-7f3a/"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["/staff-7f3a/", "admin/ gone"]


UNUSED = [
    "/accounts/email/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/some-key/",
    "/accounts/password/change/",
    "/accounts/password/set/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-set-password/",
    "/accounts/reauthenticate/",
    "/accounts/login/code/confirm/",
]


@pytest.mark.parametrize("path", UNUSED)
def test_allauth_pages_peerwall_does_not_use_are_not_there(client, make_user, path):
    make_user("bob")
    assert client.get(path).status_code == 404
    client.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    assert logged_in(client)
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "bob@example.com", "action_add": ""}).status_code == 404
    assert EmailAddress.objects.count() == 0


def test_the_login_page_offers_no_password_reset(client):
    html = client.get("/accounts/login/").content.decode()
    assert "password/reset" not in html and "Forgot" not in html


@pytest.mark.parametrize(("path", "action"), [("/api/handles/alice", "handle_lookup"), ("/api/ice", "ice")])
def test_the_json_api_is_limited_per_person(client, make_user, settings, path, action):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, action: "4/m"}
    make_user("alice")
    make_user("bob")
    client.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    answers = [client.get(path).status_code for _ in range(6)]
    assert answers == [200] * 4 + [429] * 2
    refused = client.get(path)
    assert int(refused["Retry-After"]) >= 1 and "wait" in refused.json()["error"]
    # Someone else, from the same address, is not held up by bob's loop.
    other = Client()
    other.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert other.get(path).status_code == 200


def test_logged_out_floods_are_limited_per_address(settings):
    settings.API_RATE_LIMITS = {**settings.API_RATE_LIMITS, "handle_lookup": "3/m"}
    client = Client()
    answers = [client.get("/api/handles/alice", REMOTE_ADDR="203.0.113.3").status_code for _ in range(4)]
    assert answers == [401, 401, 401, 429]
    assert client.get("/api/handles/alice", REMOTE_ADDR="203.0.113.4").status_code == 401
