import base64
import hashlib
import hmac
import time

import pytest

from signaling.ice import ice_servers, turn_credential

pytestmark = pytest.mark.django_db


def test_logged_out_gets_401(client):
    response = client.get("/api/ice")
    assert response.status_code == 401
    assert response.json() == {"error": "Log in first."}


def test_stun_only(client, make_user, settings):
    settings.STUN_URLS = ["stun:stun.example.org:3478"]
    settings.TURN_URLS = ["turn:turn.example.org:3478"]
    settings.TURN_SECRET = ""  # no secret, no TURN entry
    client.force_login(make_user("alice"))
    response = client.get("/api/ice")
    assert response.status_code == 200
    assert response.json()["iceServers"] == [{"urls": ["stun:stun.example.org:3478"]}]
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_turn_credentials_follow_coturn_rest_api(client, make_user, settings):
    settings.STUN_URLS = []
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]
    settings.TURN_SECRET = "s3cret"
    settings.TURN_CREDENTIAL_TTL = 600
    client.force_login(make_user("alice"))
    (turn,) = client.get("/api/ice").json()["iceServers"]
    expiry, handle = turn["username"].split(":")
    assert handle == "alice"
    assert int(expiry) > 0
    expected = base64.b64encode(hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected
    assert turn["urls"] == settings.TURN_URLS


@pytest.mark.parametrize("ttl", [1234, 86_400])
def test_turn_username_expires_after_the_configured_ttl(client, make_user, settings, ttl):
    """coturn refuses the credential after the unix time in its username: now + TURN_CREDENTIAL_TTL."""
    settings.STUN_URLS = []
    settings.TURN_URLS = ["turn:turn.example.org:3478"]
    settings.TURN_SECRET = "s3cret"
    settings.TURN_CREDENTIAL_TTL = ttl
    client.force_login(make_user("alice"))
    before = int(time.time())
    body = client.get("/api/ice").json()
    after = int(time.time())
    (turn,) = body["iceServers"]
    expiry, handle = turn["username"].split(":")
    assert handle == "alice"
    # The server read the time somewhere between `before` and `after` (whole seconds).
    assert before + ttl <= int(expiry) <= after + ttl
    assert body["ttl"] == ttl


def test_credential_is_deterministic_and_bound_to_expiry():
    assert turn_credential("k", "bob", 100) == turn_credential("k", "bob", 100)
    assert turn_credential("k", "bob", 100) != turn_credential("k", "bob", 101)
    servers = ice_servers(handle="bob", now=1000, stun_urls=[], turn_urls=["turn:x"], turn_secret="k", ttl=60)
    assert servers[0]["username"] == "1060:bob"
