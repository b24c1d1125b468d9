"""Settings come from the environment, and production refuses the development secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from broker.env import env_bool, env_list

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.ALLOWED_HOSTS)"


def run_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="broker.settings")
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_local_defaults_need_no_environment():
    result = run_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True ['127.0.0.1', 'localhost', '[::1]']"


def test_production_refuses_the_development_secret():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_production_starts_with_a_real_secret():
    result = run_settings(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="peerwall.example, www.peerwall.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['peerwall.example', 'www.peerwall.example']"


def test_env_parsers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL", False) is True
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_LIST", "stun:a:3478, stun:b:3478  stun:c")
    assert env_list("X_LIST") == ["stun:a:3478", "stun:b:3478", "stun:c"]
    assert env_list("X_UNSET_LIST", ["d"]) == ["d"]
