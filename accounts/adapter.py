from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

# A browser that logged in as a handle before carries this (signed, the handle inside). When
# strangers everywhere guess one handle's password, such browsers may still try: the owner is
# slowed by nothing, a guesser by the window (OWASP's "device cookie" against lock-outs).
KNOWN_BROWSER_COOKIE = "peerwall_known"
KNOWN_BROWSER_SALT = "peerwall.accounts.known-browser"
KNOWN_BROWSER_SECONDS = 365 * 24 * 3600


def _handle(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username", "")).strip().lower()


def is_known_browser(request: HttpRequest, handle: str) -> bool:
    value = request.COOKIES.get(KNOWN_BROWSER_COOKIE, "")
    try:
        known = signing.loads(value, salt=KNOWN_BROWSER_SALT, max_age=KNOWN_BROWSER_SECONDS)
    except signing.BadSignature:
        return False
    return isinstance(known, list) and handle in known


def remember_browser(request: HttpRequest, response: HttpResponse, handle: str) -> None:
    known: list[str] = []
    try:
        found = signing.loads(request.COOKIES.get(KNOWN_BROWSER_COOKIE, ""), salt=KNOWN_BROWSER_SALT)
        known = [h for h in found if isinstance(h, str)] if isinstance(found, list) else []
    except signing.BadSignature:
        pass
    known = ([handle] + [h for h in known if h != handle])[:8]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        signing.dumps(known, salt=KNOWN_BROWSER_SALT),
        max_age=KNOWN_BROWSER_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class HandleAccountAdapter(DefaultAccountAdapter):
    """Speaks of handles where allauth speaks of usernames, and limits wrong passwords fairly."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_taken": "That handle is taken; please choose another.",
        "username_blacklisted": "That handle is reserved; please choose another.",
        "too_many_login_attempts": (
            "Too many wrong passwords for this handle. Please try again in a few minutes, or from a browser you "
            "have logged in with before."
        ),
    }

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys its per-handle limit by the handle alone, so five guesses from anyone
        # locked the owner out; by handle and address, they lock out the guesser.
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}@{self.get_client_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        super().pre_authenticate(request, **credentials)
        handle = _handle(credentials)
        if is_known_browser(request, handle):
            return
        if not ratelimit.consume(
            request, app="allauth.account", action="login_failed_handle", key=handle, dry_run=True
        ):
            self._rollback_login_failed_rl_usage()
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        ratelimit.consume(request, app="allauth.account", action="login_failed_handle", key=_handle(credentials))

    def post_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        remember_browser(request, response, user.get_username().lower())
        return response
