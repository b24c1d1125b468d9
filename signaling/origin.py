"""Which pages may open the signaling WebSocket: the Origin check, by scheme, host and port.

Browsers send ``Origin`` on every WebSocket. It must be the broker's own origin (the scheme and
``Host`` of the request, the host one of ALLOWED_HOSTS) or one of CSRF_TRUSTED_ORIGINS, compared
whole: ``http://peerwall.example`` is not ``https://peerwall.example``, nor another port of it.
A client with no Origin is not a browser, so no other site can be riding its cookie.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _canonical(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, or None if it is not a well-formed http(s) origin."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _own_origin(scope: dict) -> tuple[str, str, int] | None:
    """The origin a page served by this broker has: the request's scheme and Host."""
    host = _header(scope.get("headers", []), b"host")
    if not host:
        server = scope.get("server")
        if not server:
            return None
        host = f"{server[0]}:{server[1]}"
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not domain or not validate_host(domain, allowed):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return _canonical(f"{scheme}://{host}")


def origin_allowed(scope: dict) -> bool:
    origin = _header(scope.get("headers", []), b"origin")
    if origin is None:
        return True
    wanted = _canonical(origin)
    if wanted is None:
        return False
    if wanted == _own_origin(scope):
        return True
    return any(wanted == _canonical(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS)
