"""Operations: the health endpoint, JSON logs without content, the admin's narrow view."""

import json
import logging

import pytest

from broker.logging import JsonFormatter

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_database_and_channel_layer_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_health_says_503_and_what_fails(client, settings):
    settings.CHANNEL_LAYERS = {}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing" and body["database"] == "ok"
    assert body["channel_layer"].startswith("failing")


def test_json_log_lines_are_json_with_the_message_only():
    record = logging.LogRecord("signaling", logging.INFO, __file__, 1, "relay to %s failed", ("bob",), None)
    line = json.loads(JsonFormatter().format(record))
    assert line["logger"] == "signaling" and line["level"] == "INFO"
    assert line["message"] == "relay to bob failed"
    assert set(line) == {"time", "level", "logger", "message"}


def test_admin_lists_handles_and_last_login_only(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root_admin", password="x" * 12)
    django_user_model.objects.create_user(username="alice", password="correct horse battery")
    client.force_login(admin)
    html = client.get("/admin/auth/user/").content.decode()
    assert "alice" in html and "Last login" in html
    for hidden in ("Email address", "First name", "Last name"):
        assert hidden not in html
