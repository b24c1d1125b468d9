"""Who is connecting to /peerjs: the session and the user, looked up once per connection.

Channels' ``AuthMiddlewareStack`` also wraps ``send`` for every message (to save a session
that HTTP responses might have changed); a signaling socket never changes its session, so the
relay's hot path should not pay for that. This middleware reads the cookie, and resolves the
session and the user in one trip to the database thread when the socket connects.
"""

from importlib import import_module

from channels.auth import get_user
from django.conf import settings
from django.http.cookie import parse_cookie


class SessionAuthOnce:
    def __init__(self, inner) -> None:
        self.inner = inner
        self.engine = import_module(settings.SESSION_ENGINE)

    async def __call__(self, scope, receive, send):
        cookies: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookies = parse_cookie(value.decode("latin-1"))
                break
        session = self.engine.SessionStore(cookies.get(settings.SESSION_COOKIE_NAME))
        scope = dict(scope, session=session)
        scope["user"] = await get_user(scope)  # the session loads lazily, inside the same thread hop
        return await self.inner(scope, receive, send)
