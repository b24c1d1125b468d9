"""Who is connecting to /peerjs: the session and the account, looked up once per connection.

Channels' ``AuthMiddlewareStack`` also wraps ``send`` for every message (to save a session that
HTTP responses might have changed); a signaling socket never changes its session, so the relay's
hot path should not pay for that. This middleware reads the cookie and asks the database once,
when the socket connects.

Opening a connection is the broker's second hot path (every reload, every dropped network), and
Django's ``get_user`` spends about 0.5 ms of ORM query building on it, plus a fresh database
connection each time under ``CONN_MAX_AGE=0``. With the database session engine we ask the same
two questions in plain SQL on a connection the signaling thread keeps, and decide exactly as
``django.contrib.auth.get_user`` does: the session exists and has not expired, its backend is
still configured, the account exists and may log in (``is_active``), and the session's hash
matches the account's password (or one of ``SECRET_KEY_FALLBACKS``), so a changed password or
a log-out ends the session here too. Any other session engine takes Django's own path.
"""

from dataclasses import dataclass
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.sessions.models import Session
from django.db import DatabaseError, close_old_connections, connection
from django.http.cookie import parse_cookie
from django.utils import timezone
from django.utils.crypto import constant_time_compare

DB_SESSIONS = "django.contrib.sessions.backends.db"


@dataclass(frozen=True, slots=True)
class Visitor:
    """A logged-in account, as much of it as the broker needs after the handshake."""

    handle: str
    session_key: str

    is_authenticated = True


def session_cookie(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(settings.SESSION_COOKIE_NAME)
    return None


def _session_data(session_key: str) -> dict | None:
    table = Session._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT session_data FROM {connection.ops.quote_name(table)} "  # noqa: S608 (names from the model)
            "WHERE session_key = %s AND expire_date > %s",
            [session_key, timezone.now()],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    engine = import_module(DB_SESSIONS)
    return engine.SessionStore().decode(row[0])  # signed: a tampered row decodes to {}


def _account(user_id):
    """The account row as a model instance holding only what the checks read."""
    model = get_user_model()
    meta = model._meta
    fields = [meta.pk, meta.get_field(model.USERNAME_FIELD), meta.get_field("password"), meta.get_field("is_active")]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "  # noqa: S608
            f"WHERE {quote(meta.pk.column)} = %s",
            [meta.pk.get_prep_value(meta.pk.to_python(user_id))],
        )
        row = cursor.fetchone()
    return None if row is None else model(**{f.attname: value for f, value in zip(fields, row, strict=True)})


def _verified(data: dict, session_key: str) -> Visitor | None:
    try:
        user_id, backend_path = data[SESSION_KEY], data[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = _account(user_id)
    # ModelBackend.get_user and allauth's backend refuse accounts that may not log in.
    if user is None or not load_backend(backend_path).user_can_authenticate(user):
        return None
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash:
        return None
    if not constant_time_compare(session_hash, user.get_session_auth_hash()) and not any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
    ):
        return None
    return Visitor(user.get_username(), session_key)


def _lookup(session_key: str) -> Visitor | None:
    data = _session_data(session_key)
    return None if data is None else _verified(data, session_key)


def resolve(session_key: str | None) -> Visitor | None:
    """The account a session cookie belongs to, or None. Runs in the database thread."""
    if not session_key:
        return None
    if settings.SESSION_ENGINE != DB_SESSIONS:
        return _resolve_with_django(session_key)
    try:
        return _lookup(session_key)
    except DatabaseError:
        # The kept connection broke (the database restarted): one more try on a fresh one.
        connection.close()
        return _lookup(session_key)


def _resolve_with_django(session_key: str) -> Visitor | None:
    from django.contrib.auth import get_user

    class Request:
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)

    close_old_connections()
    try:
        user = get_user(Request())
    finally:
        close_old_connections()
    return Visitor(user.get_username(), session_key) if user.is_authenticated else None


class SessionAuthOnce:
    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        visitor = await sync_to_async(resolve, thread_sensitive=True)(session_cookie(scope))
        return await self.inner(dict(scope, user=visitor), receive, send)
