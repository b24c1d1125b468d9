"""The broker's own session check (signaling.auth) decides exactly as Django's ``get_user``.

The broker resolves a session cookie in plain SQL for speed; each case here builds a real session
through Django, then asks both ``signaling.auth.resolve`` and ``django.contrib.auth.get_user`` and
requires the same answer, and the expected one. The last tests open real sockets through the ASGI
app, so the consumer is shown to act on the answer.
"""

from datetime import timedelta
from types import SimpleNamespace

import psycopg
import pytest
from django.contrib.auth import HASH_SESSION_KEY, get_user
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.utils import timezone

from signaling import auth
from tests.services import need_postgresql

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_password_hasher")]


def login(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def django_says(session_key: str | None) -> str | None:
    user = get_user(SimpleNamespace(session=SessionStore(session_key)))  # type: ignore[arg-type]
    return user.get_username() if user.is_authenticated else None


def broker_says(session_key: str | None) -> str | None:
    visitor = auth.resolve(session_key)
    return visitor.handle if visitor else None


def agree(session_key: str | None) -> str | None:
    ours = broker_says(session_key)
    # Django's get_user may rewrite or flush the session: ask it second.
    assert ours == django_says(session_key), "the broker and Django disagree about this session"
    return ours


def test_a_logged_in_session_is_its_account_spelled_as_the_account_spells_it(make_user):
    key = login(make_user("Alice_B"))
    assert agree(key) == "Alice_B"
    assert auth.resolve(key) == auth.Visitor("Alice_B", key)


@pytest.mark.parametrize("key", [None, "", "no-such-session", "x" * 40])
def test_no_cookie_or_an_unknown_session_is_nobody(key):
    assert agree(key) is None


def test_a_logged_out_session_is_nobody(make_user):
    client = Client()
    client.force_login(make_user("alice"))
    key = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    assert agree(key) is None


def test_an_expired_session_is_nobody(make_user):
    key = login(make_user("alice"))
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert agree(key) is None


def test_a_changed_password_ends_the_session(make_user):
    user = make_user("alice")
    key = login(user)
    user.set_password("another long password")
    user.save()
    assert agree(key) is None


def test_an_inactive_account_is_nobody(make_user):
    user = make_user("alice")
    key = login(user)
    user.is_active = False
    user.save()
    assert agree(key) is None


def test_a_deleted_account_is_nobody(make_user):
    user = make_user("alice")
    key = login(user)
    user.delete()
    # Deleting the account deletes no session rows by itself: the account row is what is missing.
    assert Session.objects.filter(session_key=key).exists()
    assert agree(key) is None


def test_a_session_without_its_hash_is_nobody(make_user):
    key = login(make_user("alice"))
    store = SessionStore(key)
    del store[HASH_SESSION_KEY]
    store.save()
    assert agree(key) is None


def test_tampered_session_data_is_nobody(make_user):
    key = login(make_user("alice"))
    row = Session.objects.get(session_key=key)
    Session.objects.filter(session_key=key).update(session_data="x" + row.session_data[1:])
    assert agree(key) is None


def test_a_session_of_a_backend_no_longer_configured_is_nobody(make_user, settings):
    key = login(make_user("alice"))
    settings.AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
    assert agree(key) is None


def test_a_session_signed_before_a_secret_key_rotation_still_holds(make_user, settings):
    user = make_user("alice")
    key = login(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation-" + "x" * 30
    assert broker_says(key) == "alice"
    # Django agrees (and, unlike the broker, rewrites the session's hash under the new key).
    assert django_says(key) == "alice"


def test_a_session_from_another_session_engine_takes_djangos_own_path(make_user, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    key = login(make_user("alice"))
    assert not Session.objects.filter(session_key=key).exists()
    assert auth.resolve(key) == auth.Visitor("alice", key)
    assert auth.resolve("not-a-session") is None


def test_a_database_connection_killed_under_the_broker_is_opened_again(make_user):
    """What a database restart does to the connection the broker keeps: the next lookup reconnects."""
    url = need_postgresql()  # SQLite has no server that could drop the connection
    key = login(make_user("alice"))
    assert broker_says(key) == "alice"
    backend_pid = connection.connection.info.backend_pid
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    assert broker_says(key) == "alice"
    assert connection.connection.info.backend_pid != backend_pid
