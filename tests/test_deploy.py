"""deploy/ is checked here as far as this machine can without a Docker engine.

The compose file is parsed and validated by docker-compose (Debian's package, which needs no
engine for `config`); every COPY source of the Dockerfile exists; its build commands are the
Makefile's own; and collectstatic, the image's last build step, runs for real.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deployed_server import collectstatic
from tests.services import services_required

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def test_compose_file_is_valid(tmp_path):
    if shutil.which("docker-compose") is None:
        message = "docker-compose is not installed (apt-get install docker-compose) to validate deploy/compose.yaml"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    # env_file: .env must exist: validate a copy of deploy/ given the example's values.
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    shutil.copy(copy / "env.example", copy / ".env")
    result = subprocess.run(
        ["docker-compose", "--env-file", ".env", "-f", "compose.yaml", "config"],
        cwd=copy,
        env={**os.environ, "COMPOSE_PROJECT_NAME": "peerwall"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = result.stdout
    for service in ("app:", "migrate:", "caddy:", "db:", "redis:", "coturn:"):
        assert f"\n  {service}" in config, service
    assert "replicas: 2" in config
    assert "REDIS_URL: redis://redis:6379/0" in config
    assert "DATABASE_URL: postgres://peerwall:" in config


def test_every_copy_source_exists():
    for word, args in _instructions(DOCKERFILE):
        if word != "COPY" or args.startswith("--from"):
            continue
        *sources, _destination = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"


def test_image_builds_with_the_makefiles_own_commands():
    makefile = (ROOT / "Makefile").read_text()
    runs = [args for word, args in _instructions(DOCKERFILE) if word == "RUN"]
    assert "npm ci --no-audit --no-fund" in runs and "npm ci --no-audit --no-fund" in makefile
    assert "npm run build" in runs and "cd $(FRONTEND) && npm run build" in makefile
    collect = next(r for r in runs if "collectstatic" in r)
    assert "SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --noinput" in collect
    assert "SECRET_KEY=build-only-not-a-secret $(PY) manage.py collectstatic --noinput" in makefile


def test_image_runs_as_a_non_root_user_with_a_health_check():
    instructions = _instructions(DOCKERFILE)
    users = [args for word, args in instructions if word == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert any(word == "HEALTHCHECK" and "/healthz" in args for word, args in instructions)


def test_collectstatic_the_images_last_build_step_works(tmp_path):
    try:
        collectstatic(tmp_path / "static")
    except RuntimeError as error:
        pytest.fail(str(error))
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    for name in ("frontend/app.js", "peerwall/peerwall.css", "peerwall/icon.svg"):
        assert f'"{name}"' in manifest
    assert list((tmp_path / "static" / "frontend").glob("app.*.js.gz")), "WhiteNoise's compressed copy is missing"
