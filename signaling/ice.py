"""ICE servers for a browser: STUN as configured, and TURN with coturn REST-API credentials.

coturn's ``use-auth-secret`` mode accepts username ``<expiry unix time>:<anything>`` with the
password base64(HMAC-SHA1(secret, username)), so the broker never stores TURN passwords.
"""

import base64
import hashlib
import hmac


def turn_credential(secret: str, handle: str, expires_at: int) -> tuple[str, str]:
    username = f"{expires_at}:{handle}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(
    *, handle: str, now: int, stun_urls: list[str], turn_urls: list[str], turn_secret: str, ttl: int
) -> list[dict]:
    servers: list[dict] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and turn_secret:
        username, credential = turn_credential(turn_secret, handle, now + ttl)
        servers.append({"urls": list(turn_urls), "username": username, "credential": credential})
    return servers
