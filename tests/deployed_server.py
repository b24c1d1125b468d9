"""The server as deploy/Dockerfile starts it: its CMD, on a loopback port, from the virtualenv.

The benchmark (bench/signaling_bench.py) and the tests that run the production server (the
scale-out tests) read the command from the Dockerfile itself, so that what is measured and
tested is what the image runs, and a change of server there changes it everywhere.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
HOST = "127.0.0.1"


def image_command() -> tuple[list[str], str]:
    """deploy/Dockerfile's CMD (exec form) bound to 127.0.0.1 and to a ``{port}`` placeholder; and the raw line."""
    text = DOCKERFILE.read_text()
    found = re.findall(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)
    if not found:
        raise RuntimeError("deploy/Dockerfile has no exec-form CMD line")
    argv = json.loads(found[-1])
    expose = re.findall(r"^EXPOSE\s+(\d+)", text, re.MULTILINE)
    port = expose[-1] if expose else "8000"
    out = []
    for arg in argv:
        arg = arg.replace("0.0.0.0:" + port, f"{HOST}:{{port}}").replace("0.0.0.0", HOST)
        if arg == port:
            arg = "{port}"
        elif re.fullmatch(r"--?[\w-]*port=" + port, arg):
            arg = arg.split("=")[0] + "={port}"
        out.append(arg)
    if not any("{port}" in a for a in out):
        raise RuntimeError(f"could not find the port in deploy/Dockerfile's CMD {argv}")
    return out, found[-1]


def resolve(argv: list[str], port: int) -> list[str]:
    """``argv`` on ``port``, its program taken from the virtualenv when it is there."""
    argv = [a.replace("{port}", str(port)) for a in argv]
    for folder in (ROOT / ".venv" / "bin", Path(sys.executable).parent):
        if (folder / argv[0]).exists():
            argv[0] = str(folder / argv[0])
            return argv
    if shutil.which(argv[0]) is None:
        raise RuntimeError(f"{argv[0]} is not installed (neither in .venv/bin nor on PATH)")
    return argv


def image_argv(port: int) -> list[str]:
    return resolve(image_command()[0], port)


def collectstatic(static_root: Path) -> None:
    """The image's last build step: the production static files (DEBUG=0) into ``static_root``."""
    if not (ROOT / "frontend" / "static" / "frontend" / "app.js").exists():
        raise RuntimeError("the browser app is not built: run `make build` first")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "build-only-not-a-secret", "STATIC_ROOT": str(static_root)}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed:\n{result.stderr}")
