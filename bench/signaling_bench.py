#!/usr/bin/env python3
"""Peerwall's signaling benchmark: peerjs-server 1.0.2 and the broker as deployed, the same load, ONE run.

On loopback only (127.0.0.1), one Node load generator (bench/signaling/loadgen.mjs) drives, one
after the other:

1. peerjs     the reference: peerjs-server 1.0.2 (npm `peer`), bench/signaling/peerjs-server.mjs.
2. broker     Peerwall as deployed: DEBUG=0, a throwaway SECRET_KEY, SQLite on a fresh file migrated
              here, ALLOWED_HOSTS=127.0.0.1, and the server command of deploy/Dockerfile's CMD (bound
              to 127.0.0.1 on a free port). `--broker-cmd "uvicorn ... --port {port} ..."` adds more
              ASGI servers side by side, each a column of its own.
3. broker x2  two processes of the first broker command on one Redis (a database of its own, flushed
              first); every sender is on process 1 and its receiver on process 2.

What is measured on each: the highest relay rate with p99 <= 100 ms and no loss (stepping the offered
rate); p50/p99 at 1,000 and 5,000 frames/s; server CPU per relayed frame at 2,000/s; connections/s and
OPEN latency with 100 handshakes in flight; idle RSS per connection at 1,000 / 5,000 / 10,000 peers;
idle CPU with 2,000 peers heartbeating; RSS under one socket flooding 60 KiB OFFERs. Ratios are
broker ÷ peerjs-server. bench/README.md says how each is taken and how to read it.

    .venv/bin/python bench/signaling_bench.py [--quick] [--broker-cmd "..."] [--profile]

Figures go to bench/results/signaling-<date>.json and bench/results/signaling-latest.md (and stdout).
Nothing here is a test: no figure is asserted. A figure that could not be measured is reported as
such, with the reason, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import math
import os
import platform
import queue
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import fmt, log, section  # noqa: E402
from tests.deployed_server import image_command, resolve  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LOADGEN_DIR = BENCH / "signaling"
VENV_BIN = ROOT / ".venv" / "bin"
LOGS = ROOT / "test-results" / "bench" / "signaling-logs"  # server and generator logs of the last run
HOST = "127.0.0.1"  # every socket of this benchmark is on loopback
CLK_TCK = os.sysconf("SC_CLK_TCK")

FULL = {
    "idle_peers": [1_000, 5_000, 10_000],
    "idle_cpu_peers": 2_000,
    "idle_cpu_seconds": 10.0,
    "ladder": [1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000, 50_000, 60_000],
    "step_seconds": 4.0,
    "churn_seconds": 4.0,
    "flood_seconds": 5.0,
    "flood_after_seconds": 5.0,
    "max_minutes": 20.0,
}
QUICK = {
    "idle_peers": [1_000, 2_000],
    "idle_cpu_peers": 1_000,
    "idle_cpu_seconds": 5.0,
    "ladder": [1_000, 2_000, 5_000, 10_000, 20_000, 40_000],
    "step_seconds": 2.0,
    "churn_seconds": 2.0,
    "flood_seconds": 3.0,
    "flood_after_seconds": 3.0,
    "max_minutes": 6.0,
}
FIXED_RATES = (1_000, 2_000, 5_000)  # always run: p50/p99 at 1k and 5k, CPU per frame at 2k
DOWNWARD_RATES = (500, 200, 100)  # when even the first step fails
CPU_RATE = 2_000
P99_LIMIT_MS = 100.0
MAX_PER_SENDER = 40  # frames/s; the broker's default per-connection limit is 50/s (burst 200)
PROFILE_SECONDS = 10.0  # --profile: py-spy on one more step at CPU_RATE
INFLIGHT = 100  # handshakes in flight, for connections/s
CONNECT_INFLIGHT = 200  # when opening the idle and relay peers
FLOOD_FRAME_BYTES = 60 * 1024
HEARTBEAT_MS = 5_000  # the PeerJS client's pingInterval
FLOOR_APP = "bench.signaling.floor_app:app"


# --- small helpers ---------------------------------------------------------------------------


def div(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


class OutOfTime(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 40.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")


def raise_nofile() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit it
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# --- /proc: RSS and CPU of a server's whole process tree ---------------------------------------


def tree(root: int) -> list[int]:
    """The process and all its descendants (granian's workers, for one)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLK_TCK


def find_pid(comm: str) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    return int(entry.name)
            except OSError:
                continue
    return None


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine used (every core), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def wait_quiet(max_seconds: float, threshold_pct: float = 25.0) -> dict[str, Any]:
    """Waits (at most max_seconds) until the machine's other work takes under threshold_pct of a core."""
    started = time.monotonic()
    while True:
        t0, b0 = time.monotonic(), machine_busy_seconds()
        time.sleep(2.0)
        busy = 100 * (machine_busy_seconds() - b0) / (time.monotonic() - t0)
        waited = time.monotonic() - started
        if busy < threshold_pct or waited >= max_seconds:
            return {"busy_pct": round(busy, 1), "waited_s": round(waited, 1), "quiet": busy < threshold_pct}
        log(f"  the machine is busy ({busy:.0f} % of a core used by other processes): waiting")


class Meter:
    """CPU seconds of some processes between start() and stop(), and what everything else used."""

    def __init__(self, pid_sets: dict[str, Callable[[], list[int]]]):
        self.pid_sets = pid_sets

    def start(self) -> Meter:
        self.t0 = time.monotonic()
        self.m0 = machine_busy_seconds()
        self.c0 = {k: cpu_seconds(f()) for k, f in self.pid_sets.items()}
        return self

    def stop(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.t0
        out: dict[str, Any] = {"seconds": round(elapsed, 3)}
        ours = 0.0
        for k, f in self.pid_sets.items():
            used = cpu_seconds(f()) - self.c0[k]
            ours += used
            out[f"{k}_cpu_s"] = round(used, 3)
            out[f"{k}_cpu_pct"] = round(100 * used / elapsed, 1) if elapsed else None
        # Other people's processes on this machine (and the bench itself): a busy machine shows here.
        others = max(0.0, machine_busy_seconds() - self.m0 - ours)
        out["others_cpu_pct"] = round(100 * others / elapsed, 1) if elapsed else None
        return out


# --- the servers --------------------------------------------------------------------------------

SPAWNED: list[subprocess.Popen] = []  # ended at exit, by their own pids


def spawn(command: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> subprocess.Popen:
    log_file = log_path.open("ab")
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    SPAWNED.append(proc)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 8.0) -> None:
    if proc.poll() is None:
        pids = tree(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for pid in pids:  # our server and the workers it forked, by pid
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=5)
    if proc in SPAWNED:
        SPAWNED.remove(proc)


class Column:
    """One server under test: one or two processes, and where each peer of a pair connects."""

    def __init__(self, label: str, kind: str, command: list[str] | None, processes: int = 1):
        self.label = label
        self.kind = kind  # "peerjs" or "broker"
        self.command = command
        self.processes = processes
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def start(self, env: dict[str, str], tmp: Path) -> None:
        for i in range(self.processes):
            port = free_port()
            if self.kind == "peerjs":
                argv = ["node", str(LOADGEN_DIR / "peerjs-server.mjs"), str(port)]
                cwd = LOADGEN_DIR
            else:
                argv = resolve(self.command or [], port)
                cwd = ROOT
            log_path = tmp / f"{self.slug}-{i}.log"
            proc = spawn(argv, env, log_path, cwd)
            self.procs.append(proc)
            self.ports.append(port)
            wait_port(port, proc)
            self.argv = argv

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.label.lower()).strip("-")

    def pids(self) -> list[int]:
        return [pid for proc in self.procs for pid in tree(proc.pid)]

    def stop(self) -> None:
        for proc in self.procs:
            stop(proc)

    # Sender on the first process, receiver on the last (the same one for a single process).
    @property
    def sport(self) -> int:
        return self.ports[0]

    @property
    def rport(self) -> int:
        return self.ports[-1]


# --- the load generator ---------------------------------------------------------------------------


class LoadgenError(RuntimeError):
    pass


class Loadgen:
    """bench/signaling/loadgen.mjs: one JSON command a line on stdin, one answer a line on stdout."""

    def __init__(self, users: list[list[str]], broker: bool, workers: int, deflate: bool, log_path: Path):
        self.proc = subprocess.Popen(
            ["node", str(LOADGEN_DIR / "loadgen.mjs")],
            cwd=LOADGEN_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_path.open("ab"),
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        SPAWNED.append(self.proc)
        self.lines: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.ids = 0
        ws = json.loads((LOADGEN_DIR / "node_modules" / "ws" / "package.json").read_text())["version"]
        self.info = self.call(
            "init", timeout=30, users=users, broker=broker, workers=workers, deflate=deflate, wsVersion=ws
        )

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                log(f"loadgen said: {line.strip()[:200]}")
        self.lines.put(None)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def call(
        self,
        cmd: str,
        timeout: float,
        on_event: Callable[[dict], None] | None = None,
        tick: Callable[[], None] | None = None,
        **args: Any,
    ) -> dict[str, Any]:
        self.ids += 1
        ident = self.ids
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, "id": ident, **args}) + "\n")
        self.proc.stdin.flush()
        end = time.monotonic() + timeout
        while True:
            if time.monotonic() > end:
                self.kill()
                raise LoadgenError(f"the load generator did not answer {cmd!r} within {timeout:.0f} s")
            try:
                message = self.lines.get(timeout=0.1)
            except queue.Empty:
                message = {}
            if tick:
                tick()
            if message is None:
                raise LoadgenError(f"the load generator exited (status {self.proc.poll()}) during {cmd!r}")
            if "event" in message:
                if on_event:
                    on_event(message)
            elif message.get("id") == ident:
                if not message.get("ok"):
                    raise LoadgenError(f"{cmd}: {message.get('error', '?').splitlines()[0]}")
                return message

    def kill(self) -> None:
        stop(self.proc, timeout=2)

    def quit(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call("quit", timeout=5)
                self.proc.wait(timeout=5)
            except (LoadgenError, OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


# --- users and sessions, straight into the database ------------------------------------------------


def broker_env(tmp: Path, secret_key: str, db_path: Path, redis_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DEBUG="0",
        SECRET_KEY=secret_key,
        DATABASE_URL=f"sqlite:///{db_path}",
        ALLOWED_HOSTS=HOST,
        STATIC_ROOT=str(tmp / "static"),
        DJANGO_SETTINGS_MODULE="broker.settings",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        # The bench's peers all come from 127.0.0.1: no per-address socket cap for its own runs.
        SIGNALING_MAX_CONNECTIONS_PER_ADDRESS="0",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def make_users(env: dict[str, str], count: int) -> list[list[str]]:
    """`count` accounts u00000..., each with a logged-in session, made in bulk (no Argon2 per user)."""
    os.environ.update({k: env[k] for k in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "STATIC_ROOT")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "broker.settings"
    os.environ.pop("REDIS_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    user_model = get_user_model()
    password = make_password(secrets.token_urlsafe(16))  # one hash for everyone: Argon2 once
    user_model.objects.bulk_create(
        [user_model(username=f"u{i:05d}", password=password) for i in range(count)], batch_size=2000
    )
    store = SessionStore()
    expires = timezone.now() + dt.timedelta(days=1)
    out, rows = [], []
    for user in user_model.objects.order_by("pk").iterator(chunk_size=2000):
        key = secrets.token_hex(16)  # 32 characters of [0-9a-f], as a session key is
        data = {
            SESSION_KEY: user._meta.pk.value_to_string(user),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        out.append([user.get_username(), key])
    Session.objects.bulk_create(rows, batch_size=2000)
    connection.close()
    return out


# --- the measures ---------------------------------------------------------------------------------


class Plan:
    """Which users each phase uses, so that no phase reuses a handle another one just closed."""

    def __init__(self, params: dict[str, Any], nofile: int):
        ladder_top = max(params["ladder"])
        self.pairs = math.ceil(ladder_top / MAX_PER_SENDER)
        cap = max(0, (nofile - 500) // 2 * 2)  # the generator holds one descriptor per peer
        self.idle_peers = [n for n in params["idle_peers"] if n <= cap] or [cap]
        self.capped = [n for n in params["idle_peers"] if n > cap]
        self.idle_max = max([*self.idle_peers, params["idle_cpu_peers"]])
        self.relay_first = self.idle_max  # relay peers come after the idle ones
        self.flood_first = self.relay_first + 2 * self.pairs
        self.users = self.flood_first + 2


def pair_list(first: int, count: int, sport: int, rport: int) -> list[list[int]]:
    """`count` pairs from user `first` on: [sender, its port, receiver, its port]."""
    return [[first + 2 * i, sport, first + 2 * i + 1, rport] for i in range(count)]


def bench_probe(column: Column, lg: Loadgen) -> dict[str, Any]:
    """One logged-in cookie gets OPEN (and its partner too), before anything is measured."""
    r = lg.call(
        "connect", timeout=40, group="probe", pairs=pair_list(0, 1, column.sport, column.rport), timeoutMs=30000
    )
    lg.call("close", timeout=30, group="probe")
    if r["opened"] != 2:
        raise RuntimeError(f"the probe did not get OPEN: {r['errors']}")
    return {"opened": r["opened"], "open_ms": r["openMs"]["max"], "websocket_extensions": r.get("extensions")}


def bench_idle(column: Column, lg: Loadgen, plan: Plan, params: dict[str, Any], meter: Meter) -> dict[str, Any]:
    time.sleep(1.0)
    pids = column.pids()
    base = rss_kb(pids)
    out: dict[str, Any] = {"rss_before_kb": base, "points": [], "capped_by_nofile": plan.capped}
    points = sorted({*plan.idle_peers, params["idle_cpu_peers"]})
    have = 0
    for target in points:
        pairs = pair_list(have, (target - have) // 2, column.sport, column.rport)
        timeout_s = 30 + (target - have) / 40  # ~40 connections/s at worst before giving up
        r = lg.call(
            "connect",
            timeout=timeout_s + 30,
            group="idle",
            pairs=pairs,
            inflight=CONNECT_INFLIGHT,
            timeoutMs=int(timeout_s * 1000),
            heartbeatMs=HEARTBEAT_MS,
        )
        have = target
        time.sleep(2.0)
        rss = rss_kb(column.pids())
        point = {
            "peers": target,
            "connected": r["connected"],
            "failed_now": r["failed"],
            "errors": r["errors"],
            "connect_s": round(r["wallMs"] / 1000, 1),
            "rss_kb": rss,
            "rss_per_conn_kb": round((rss - base) / r["connected"], 2) if r["connected"] else None,
        }
        if target == params["idle_cpu_peers"]:
            time.sleep(1.0)
            m = meter.start()
            time.sleep(params["idle_cpu_seconds"])
            point["idle_cpu"] = m.stop()
        out["points"].append(point)
        log(
            f"    {r['connected']:,} idle peers: RSS +{(rss - base) / 1024:,.1f} MB = "
            f"{fmt(point['rss_per_conn_kb'], ' KB', 2)}/connection"
            + (f", idle CPU {point['idle_cpu']['server_cpu_pct']} %" if "idle_cpu" in point else "")
        )
        if r["connected"] < target:
            out.setdefault("incomplete", []).append(f"{r['connected']:,} of {target:,} connected: {r['errors']}")
        if r["connected"] < target * 0.5:  # a server refusing half its peers: no use asking for more
            out["stopped"] = f"only {r['connected']:,} of {target:,} peers connected: {r['errors']}"
            break
    lg.call("close", timeout=60, group="idle", timeoutMs=30000)
    return out


class SpyProfile:
    """py-spy on one broker process during one relay step or the connections measure (--profile)."""

    def __init__(self, pid: int, seconds: float, out: Path):
        self.out = out
        self.raw = out.with_suffix(".collapsed")
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "py-spy"),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(seconds))),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(self.raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        SPAWNED.append(self.proc)

    def finish(self, header: str) -> dict[str, Any]:
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            stop(self.proc)
            return {"error": "py-spy did not finish"}
        if self.proc in SPAWNED:
            SPAWNED.remove(self.proc)
        if not self.raw.exists():
            return {"error": f"py-spy wrote nothing: {err.strip()[-300:]}"}
        self_counts: collections.Counter[str] = collections.Counter()
        total_counts: collections.Counter[str] = collections.Counter()
        stacks: collections.Counter[str] = collections.Counter()
        samples = 0
        for line in self.raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            samples += n
            frames = stack.split(";")
            names = [re.sub(r":\d+\)$", ")", f) for f in frames]  # a function, not a line of it
            self_counts[names[-1]] += n
            for name in set(names):
                total_counts[name] += n
            stacks[" ← ".join(f.split(" (")[0] for f in reversed(frames[-6:]))] += n
        self.raw.unlink()

        def table(counter: collections.Counter[str], top: int) -> list[str]:
            return [f"{100 * n / samples:6.1f} %  {name}" for name, n in counter.most_common(top)]

        text = [
            header,
            f"{samples:,} samples (py-spy record --rate 200 --nonblocking; all threads, idle time left out, so "
            "that a share of the samples is a share of the CPU time the process used).",
            "",
            "Self time (the frame on top of the stack):",
            *table(self_counts, 40),
            "",
            "Total time (the frame anywhere on the stack):",
            *table(total_counts, 40),
            "",
            "Hottest stacks (their top 6 frames, innermost first):",
            *table(stacks, 25),
        ]
        self.out.write_text("\n".join(text) + "\n")
        return {"samples": samples, "file": str(self.out.relative_to(ROOT)), "top_self": table(self_counts, 10)}


def numbered(path: Path, i: int, count: int) -> Path:
    """signaling-profile.txt for one process; signaling-profile-1.txt, -2.txt ... for several."""
    return path if count == 1 else path.with_name(f"{path.stem}-{i + 1}{path.suffix}")


def bench_relay(
    column: Column,
    lg: Loadgen,
    plan: Plan,
    params: dict[str, Any],
    meter: Meter,
    profile_to: Path | None,
) -> dict[str, Any]:
    pairs = pair_list(plan.relay_first, plan.pairs, column.sport, column.rport)
    r = lg.call(
        "connect",
        timeout=60 + len(pairs) / 20 + 30,
        group="relay",
        pairs=pairs,
        inflight=CONNECT_INFLIGHT,
        timeoutMs=int((60 + len(pairs) / 20) * 1000),
        heartbeatMs=HEARTBEAT_MS,
    )
    out: dict[str, Any] = {
        "pairs": plan.pairs,
        "connected": r["connected"],
        "connect_errors": r["errors"],
        "steps": [],
    }
    if r["connected"] < plan.pairs:
        raise RuntimeError(f"only {r['connected']} of {2 * plan.pairs} relay peers connected: {r['errors']}")
    if r["connected"] < 2 * plan.pairs:
        # The steps go on with the pairs whose both ends are connected; the report says so.
        out["incomplete"] = f"only {r['connected']:,} of {2 * plan.pairs:,} relay peers connected: {r['errors']}"
        log(f"    {out['incomplete']}")
    time.sleep(1.0)  # the WATCH frames are processed
    step_ms = int(params["step_seconds"] * 1000)
    counter = iter(range(1, 1_000_000))

    def run(rate: int, seconds: float | None = None, warmup: bool = False, profile: bool = False) -> dict[str, Any]:
        duration = int(seconds * 1000) if seconds else step_ms
        spies = (
            [
                SpyProfile(proc.pid, duration / 1000, numbered(profile_to, i, column.processes))
                for i, proc in enumerate(column.procs)
            ]
            if profile and profile_to
            else []
        )
        m = meter.start()
        s = lg.call(
            "relay",
            timeout=duration / 1000 + 30,
            group="relay",
            rate=rate,
            durationMs=duration,
            drainMs=2000,
            settleMs=10000,
            step=next(counter),
        )
        cpu = m.stop()
        if s.get("error"):
            log(f"    {rate:>6,}/s: {s['error']}; closed after OPEN: {s.get('closedByCode')}")
            return {"offered": rate, "passed": False, "error": s["error"], "closed_by_code": s.get("closedByCode")}
        lat = s.get("lat") or {}
        relayed = s["received"] + s["late"]
        achieved = s["sent"] / (s["maxSendMs"] / 1000) if s.get("maxSendMs") else 0
        step = {
            "offered": rate,
            "achieved": round(achieved),
            "sent": s["sent"],
            "received": s["received"],
            "lost": s["sent"] - s["received"],
            "late": s["late"],
            "p50_ms": lat.get("p50"),
            "p90_ms": lat.get("p90"),
            "p99_ms": lat.get("p99"),
            "max_ms": lat.get("max"),
            "drain_ms": round(s.get("maxDrainMs", 0)),
            "max_generator_lag_frames": s.get("maxLagFrames"),
            "max_buffered_bytes": s.get("maxBufferedBytes"),
            "closed_senders": s.get("closedSenders"),
            "closed_by_code": s.get("closedByCode"),
            "other_frames": s.get("other"),
            "senders": s.get("senders"),
            "per_sender_fps": round(rate / s["senders"], 1) if s.get("senders") else None,
            "server_cpu_us_per_frame": round(1e6 * cpu["server_cpu_s"] / relayed, 1) if relayed else None,
            **cpu,
        }
        step["passed"] = bool(
            s["sent"]
            and step["lost"] == 0
            and step["p99_ms"] is not None
            and step["p99_ms"] <= P99_LIMIT_MS
            and achieved >= 0.95 * rate
        )
        if achieved < 0.95 * rate:
            step["generator_limited"] = True
        if spies:
            step["profile"] = [
                spy.finish(
                    f"py-spy profile of {column.label} ({' '.join(column.command or [])}), process {i + 1} of "
                    f"{column.processes}{' (the senders)' if column.processes > 1 and i == 0 else ''}"
                    f"{' (the receivers)' if column.processes > 1 and i == 1 else ''}, during the {rate:,} "
                    f"frames/s relay step ({duration / 1000:.0f} s), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}."
                )
                for i, spy in enumerate(spies)
            ]
        log(
            f"    {'warm-up ' if warmup else 'profiled ' if profile else ''}{rate:>6,}/s: sent {achieved:,.0f}/s, "
            f"p50 {fmt(step['p50_ms'], ' ms', 2)}"
            f" p99 {fmt(step['p99_ms'], ' ms', 1)}, lost {step['lost']:,} (late {step['late']:,}), server CPU "
            f"{cpu['server_cpu_pct']} %, generator CPU {cpu['generator_cpu_pct']} %, others {cpu['others_cpu_pct']} %"
            f" -> {'pass' if step['passed'] else 'FAIL'}"
        )
        return step

    out["warmup"] = run(500, seconds=1.0, warmup=True)
    failed_at = None
    for rate in params["ladder"]:
        if failed_at is not None and rate not in FIXED_RATES:
            continue
        step = run(rate)
        out["steps"].append(step)
        if not step["passed"] and failed_at is None:
            failed_at = rate
        if step.get("error"):
            break
    passing = [s["offered"] for s in out["steps"] if s["passed"] and (failed_at is None or s["offered"] < failed_at)]
    if not passing and not out["steps"][-1].get("error"):
        for rate in DOWNWARD_RATES:
            step = run(rate)
            out["steps"].append(step)
            if step.get("error"):
                break
            if step["passed"]:
                passing = [rate]
                break
    out["max_rate"] = max(passing) if passing else 0
    out["first_failure"] = failed_at
    out["top_step_run"] = max(s["offered"] for s in out["steps"])
    if profile_to is not None:
        # A step of its own, so that the profiler's cost stays out of the figures above.
        out["profile_step"] = run(CPU_RATE, seconds=PROFILE_SECONDS, profile=True)
    lg.call("close", timeout=60, group="relay", timeoutMs=30000)
    return out


def bench_churn(
    column: Column, lg: Loadgen, plan: Plan, params: dict[str, Any], meter: Meter, profile_to: Path | None
) -> dict[str, Any]:
    time.sleep(1.0)
    pool = list(range(plan.idle_max))  # closed a while ago; each reused at most once per pool's turn
    seconds = params["churn_seconds"]
    spy = SpyProfile(column.procs[0].pid, seconds, profile_to) if profile_to else None
    m = meter.start()
    r = lg.call(
        "churn",
        timeout=seconds + 60,
        users=pool,
        ports=column.ports,
        inflight=INFLIGHT,
        durationMs=int(seconds * 1000),
        handshakeTimeoutMs=10000,
    )
    cpu = m.stop()
    lat = r.get("openMs") or {}
    out: dict[str, Any] = {
        "inflight": INFLIGHT,
        "seconds": seconds,
        "pool": len(pool),
        "completed": r["completed"],
        "completed_after_window": r["completedLate"],
        "failed": r["failed"],
        "errors": r["errors"],
        "pool_stalls": r["poolStalls"],
        "still_closing": r["stillClosing"],
        "connections_per_s": round(r["completed"] / (r["maxWindowMs"] / 1000), 1),
        "open_p50_ms": lat.get("p50"),
        "open_p99_ms": lat.get("p99"),
        "open_max_ms": lat.get("max"),
        **cpu,
    }
    if spy is not None:
        header = f"py-spy profile of {column.label} ({' '.join(column.command or [])}), process 1 of {column.processes}"
        out["profile"] = spy.finish(f"{header}, while opening connections ({INFLIGHT} in flight, {seconds:g} s).")
    log(
        f"    {out['connections_per_s']:,.0f} connections/s, OPEN p50 {fmt(out['open_p50_ms'], ' ms', 1)} p99 "
        f"{fmt(out['open_p99_ms'], ' ms', 1)}, {r['failed']} failed, server CPU {cpu['server_cpu_pct']} %, "
        f"generator CPU {cpu['generator_cpu_pct']} %"
    )
    time.sleep(2.0)
    return out


def bench_flood(column: Column, lg: Loadgen, plan: Plan, params: dict[str, Any]) -> dict[str, Any]:
    time.sleep(1.0)
    base = rss_kb(column.pids())
    marks: dict[str, float] = {}
    samples: list[tuple[float, int]] = []
    last = [0.0]

    def on_event(event: dict) -> None:
        marks[event["event"]] = time.monotonic()

    def tick() -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1:
            last[0] = now
            samples.append((now, rss_kb(column.pids())))

    r = lg.call(
        "flood",
        timeout=params["flood_seconds"] + params["flood_after_seconds"] + 60,
        on_event=on_event,
        tick=tick,
        group="flood",
        sender=plan.flood_first,
        sport=column.sport,
        receiver=plan.flood_first + 1,
        rport=column.rport,
        frameBytes=FLOOD_FRAME_BYTES,
        durationMs=int(params["flood_seconds"] * 1000),
        afterMs=int(params["flood_after_seconds"] * 1000),
    )
    after = rss_kb(column.pids())
    lg.call("close", timeout=30, group="flood", timeoutMs=10000)
    if r.get("error"):
        raise RuntimeError(r["error"])
    start, end = marks.get("flood-start", 0.0), marks.get("flood-end", math.inf)
    during = [rss for t, rss in samples if start <= t <= end + 0.15] or [base]
    out = {
        **{k: v for k, v in r.items() if k not in ("id", "ok", "generatorCpuS")},
        "rss_before_kb": base,
        "max_rss_growth_during_mb": round((max(during) - base) / 1024, 1),
        "max_rss_growth_any_time_mb": round((max([rss for _, rss in samples] or [base]) - base) / 1024, 1),
        "rss_growth_after_mb": round((after - base) / 1024, 1),
        "after_s": params["flood_after_seconds"],
        "rss_samples": [[round(t - start, 2), rss] for t, rss in samples],
    }
    log(
        f"    sent {r['sent']:,} frames ({r['sentMB']:,.0f} MB, {r['sendMBps']:,.0f} MB/s), partner got "
        f"{r['receivedByPartner']:,}; RSS +{out['max_rss_growth_during_mb']} MB at most, "
        f"+{out['rss_growth_after_mb']} MB {params['flood_after_seconds']:.0f} s after; "
        f"closed by the server: {r['senderClosedByServer']}"
    )
    return out


def run_column(
    column: Column,
    env: dict[str, str],
    tmp: Path,
    users: list[list[str]],
    plan: Plan,
    params: dict[str, Any],
    args: argparse.Namespace,
    deadline: float,
    profile_to: Path | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "label": column.label,
        "kind": column.kind,
        "processes": column.processes,
        "command": column.command,
    }
    lg = None
    if args.wait_quiet > 0:
        out["machine_before"] = wait_quiet(args.wait_quiet)
    log(f"{column.label}: starting {column.processes} process(es)")
    try:
        column.start(env, tmp)
        out["argv"] = column.argv
        out["ports"] = column.ports
        lg = Loadgen(users, column.kind == "broker", args.workers, args.deflate, tmp / f"loadgen-{column.slug}.log")
        out["generator"] = {k: v for k, v in lg.info.items() if k not in ("id", "ok")}
        redis_pid = find_pid("redis-server") if column.processes > 1 else None
        pid_sets: dict[str, Callable[[], list[int]]] = {"server": column.pids, "generator": lambda: [lg.pid]}
        if redis_pid:
            pid_sets["redis"] = lambda: [redis_pid]
        meter = Meter(pid_sets)
        if not section(out, "probe", lambda: bench_probe(column, lg), deadline, "  "):
            return out
        churn_profile = profile_to and profile_to.with_name(profile_to.stem + "-connections.txt")
        measures: dict[str, Callable[[], Any]] = {
            "idle": lambda: bench_idle(column, lg, plan, params, meter),
            "relay": lambda: bench_relay(column, lg, plan, params, meter, profile_to),
            "churn": lambda: bench_churn(column, lg, plan, params, meter, churn_profile),
            "flood": lambda: bench_flood(column, lg, plan, params),
        }
        for name, measure in measures.items():
            if not args.only or name in args.only:
                section(out, name, measure, deadline, "  ")
    except Exception as error:
        traceback.print_exc()
        out["error"] = f"{type(error).__name__}: {error}"
    finally:
        if lg is not None:
            lg.quit()
        out["server_alive_at_end"] = all(p.poll() is None for p in column.procs)
        column.stop()
        for i in range(column.processes):
            log_path = tmp / f"{column.slug}-{i}.log"
            if log_path.exists():
                lines = log_path.read_text(errors="replace").splitlines()
                out.setdefault("server_log_lines", []).append(len(lines))
                out.setdefault("server_log_tail", []).extend(lines[-15:])
                if lines:
                    log(f"  {column.label} process {i + 1} logged {len(lines):,} lines; the last ones:")
                    for line in lines[-6:]:
                        log(f"    | {line[:300]}")
    return out


# --- the machine -----------------------------------------------------------------------------------


def versions() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    info: dict[str, Any] = {"python": platform.python_version()}
    for name in ("Django", "channels", "channels_redis", "daphne", "Twisted", "autobahn", "uvicorn", "granian"):
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = None
    for name in ("peer", "ws", "bufferutil"):
        try:
            info[f"npm {name}"] = json.loads((LOADGEN_DIR / "node_modules" / name / "package.json").read_text())[
                "version"
            ]
        except (OSError, ValueError, KeyError):
            info[f"npm {name}"] = None
    for key, command in {
        "node": ["node", "--version"],
        "git": ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        "redis": ["redis-cli", "-h", HOST, "INFO", "server"],
    }.items():
        try:
            text = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            text = ""
        if key == "redis":
            found = re.search(r"redis_version:(\S+)", text)
            text = found.group(1) if found else ""
        info[key] = text or None
    return info


def machine_info(nofile: tuple[int, int]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "rlimit_nofile": list(nofile),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["mem_gb"] = round(int(mem) / 1024 / 1024, 1)
        info["ip_local_port_range"] = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        info["tcp_tw_reuse"] = Path("/proc/sys/net/ipv4/tcp_tw_reuse").read_text().strip()
    except OSError:
        pass
    info["versions"] = versions()
    return info


# --- the report ------------------------------------------------------------------------------------


def figures(col: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of one column (None where not measured)."""
    f: dict[str, Any] = {}
    relay = col.get("relay") or {}
    steps = {s["offered"]: s for s in relay.get("steps", [])}
    f["max_rate"] = relay.get("max_rate")
    for rate in (1_000, 5_000):
        s = steps.get(rate) or {}
        f[f"p50_{rate}"] = s.get("p50_ms")
        f[f"p99_{rate}"] = s.get("p99_ms")
        f[f"lost_{rate}"] = s.get("lost")
    f["cpu_us_per_frame"] = (steps.get(CPU_RATE) or {}).get("server_cpu_us_per_frame")
    f["redis_us_per_frame"] = None
    s2k = steps.get(CPU_RATE) or {}
    if "redis_cpu_s" in s2k and s2k.get("received"):
        f["redis_us_per_frame"] = round(1e6 * s2k["redis_cpu_s"] / (s2k["received"] + s2k["late"]), 1)
    top = max(relay.get("steps", []), key=lambda s: s["offered"], default={})
    f["generator_pct_top"] = top.get("generator_cpu_pct")
    f["server_pct_top"] = top.get("server_cpu_pct")
    f["top_step"] = top.get("offered")
    others = [s["others_cpu_pct"] for s in relay.get("steps", []) if s.get("others_cpu_pct") is not None]
    f["others_max"] = max(others) if others else None
    churn = col.get("churn") or {}
    f["conn_per_s"] = churn.get("connections_per_s")
    f["open_p50"] = churn.get("open_p50_ms")
    f["open_p99"] = churn.get("open_p99_ms")
    f["churn_generator_pct"] = churn.get("generator_cpu_pct")
    idle = col.get("idle") or {}
    for point in idle.get("points", []):
        f[f"rss_{point['peers']}"] = point.get("rss_per_conn_kb")
        if point["connected"] < point["peers"]:
            f[f"short_rss_{point['peers']}"] = point["connected"]
        if "idle_cpu" in point:
            f["idle_cpu_pct"] = point["idle_cpu"]["server_cpu_pct"]
            if point["connected"] < point["peers"]:
                f["short_idle_cpu_pct"] = point["connected"]
    flood = col.get("flood") or {}
    f["flood_max_mb"] = flood.get("max_rss_growth_during_mb")
    f["flood_after_mb"] = flood.get("rss_growth_after_mb")
    if flood and "senderClosedByServer" in flood:
        f["flood_closed"] = (
            f"closed after {flood['senderCloseAfterMs'] / 1000:.1f} s ({flood['senderCloseCode']})"
            if flood["senderClosedByServer"]
            else "not closed"
        )
        f["flood_relayed"] = flood.get("receivedByPartner")
        f["flood_sent"] = flood.get("sent")
    return f


def shown_command(col: dict[str, Any]) -> str:
    argv = col.get("command") or ["node", "bench/signaling/peerjs-server.mjs", "{port}"]
    text = " ".join(a.replace(f"{ROOT}/", "").replace(".venv/bin/", "") for a in argv)
    return f"{text} (2 processes)" if col.get("processes", 1) > 1 else text


def summary(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = m.get("versions", {})
    cols = results["columns"]
    figs = [figures(c) for c in cols]
    ref = figs[0] if cols and cols[0]["kind"] == "peerjs" else {}
    params = results["parameters"]
    pairs = results["plan"]["pairs"]
    out = [
        f"# Peerwall signaling benchmark — {results['date']}",
        "",
        f"{m.get('nproc')} CPUs ({m.get('cpu', '?')}), {m.get('mem_gb', '?')} GB; Python {v.get('python')}, "
        f"Django {v.get('Django')}, Channels {v.get('channels')}, daphne {v.get('daphne')} (Twisted "
        f"{v.get('Twisted')}), channels_redis {v.get('channels_redis')}, Redis {v.get('redis')}; Node {v.get('node')}, "
        f"peer {v.get('npm peer')}, ws {v.get('npm ws')}; tree {v.get('git')}. Load average "
        f"{m.get('loadavg_at_start')} at the start, {m.get('loadavg_at_end')} at the end. "
        f"{'Quick run (--quick): smaller N, shorter steps. ' if params.get('quick') else ''}"
        f"Everything on 127.0.0.1; server and load generator share the cores.",
        "",
        "Columns: "
        + "; ".join(f"**{c['label']}** = `{shown_command(c)}`" for c in cols)
        + ". Broker columns run with production settings (DEBUG=0, SQLite); `(×)` is broker ÷ peerjs-server.",
        "",
    ]

    def cell(f: dict[str, Any], key: str, unit: str = "", digits: int = 1) -> str:
        value = f.get(key)
        text = fmt(value, unit, digits)
        if f is not ref and value is not None and ref.get(key):
            text = f"{text} ({value / ref[key]:.2f}×)"
        if f.get(f"short_{key}") is not None:  # fewer peers connected than asked for
            text += f" ⚠ {f[f'short_{key}']:,} connected"
        return text

    def pair_cell(f: dict[str, Any], a: str, b: str, digits: int = 1) -> str:
        return f"{cell(f, a, '', digits)} / {cell(f, b, '', digits)}"

    header = "| | " + " | ".join(c["label"] for c in cols) + " |"
    out += [header, "|---" * (len(cols) + 1) + "|"]

    def row(name: str, render: Callable[[dict[str, Any]], str]) -> None:
        out.append(f"| {name} | " + " | ".join(render(f) for f in figs) + " |")

    row(f"relay: highest rate, p99 ≤ {P99_LIMIT_MS:.0f} ms and 0 lost (frames/s)", lambda f: cell(f, "max_rate", "", 0))
    row("relay at 1,000/s: p50 / p99 (ms)", lambda f: pair_cell(f, "p50_1000", "p99_1000", 2))
    row("relay at 5,000/s: p50 / p99 (ms)", lambda f: pair_cell(f, "p50_5000", "p99_5000", 2))
    row(
        "… frames lost at 1,000/s / 5,000/s",
        lambda f: f"{fmt(f.get('lost_1000'), '', 0)} / {fmt(f.get('lost_5000'), '', 0)}",
    )
    row(f"server CPU per relayed frame at {CPU_RATE:,}/s (µs)", lambda f: cell(f, "cpu_us_per_frame", "", 1))
    row(f"connections/s, {INFLIGHT} handshakes in flight", lambda f: cell(f, "conn_per_s", "", 0))
    row("… load generator CPU meanwhile (% of a core)", lambda f: fmt(f.get("churn_generator_pct")))
    row("OPEN latency p50 / p99 (ms)", lambda f: pair_cell(f, "open_p50", "open_p99", 1))
    for n in results["plan"]["idle_peers"]:
        row(f"idle RSS per connection, {n:,} peers (KB)", lambda f, n=n: cell(f, f"rss_{n}", "", 1))
    row(
        f"idle CPU, {params['idle_cpu_peers']:,} peers heartbeating every 5 s (% of a core)",
        lambda f: cell(f, "idle_cpu_pct", "", 2),
    )
    row(
        f"flood of 60 KiB OFFERs, {params['flood_seconds']:.0f} s: max RSS growth / "
        f"{params['flood_after_seconds']:.0f} s after (MB)",
        lambda f: f"{fmt(f.get('flood_max_mb'))} / {fmt(f.get('flood_after_mb'))}",
    )
    row("… the flooding socket", lambda f: str(f.get("flood_closed", "n/a")))
    row(
        "… frames sent / relayed to its partner",
        lambda f: f"{fmt(f.get('flood_sent'), '', 0)} / {fmt(f.get('flood_relayed'), '', 0)}",
    )
    row(
        "load generator CPU at the top relay step run (% of a core; step)",
        lambda f: f"{fmt(f.get('generator_pct_top'))} ({fmt(f.get('top_step'), '/s', 0)})",
    )
    row("… server CPU at that step (% of a core)", lambda f: fmt(f.get("server_pct_top")))
    row("other processes' CPU, the most over a relay step (% of a core)", lambda f: fmt(f.get("others_max")))
    if any(f.get("redis_us_per_frame") for f in figs):
        row(f"Redis CPU per relayed frame at {CPU_RATE:,}/s (µs)", lambda f: fmt(f.get("redis_us_per_frame")))
    out.append("")

    # The DESIGN targets.
    if ref and len(cols) > 1:
        out += ["## Against the DESIGN targets", "", "| column | target | ratio | |", "|---|---|---|---|"]
        for col, f in zip(cols[1:], figs[1:], strict=True):
            targets = (
                [("relay ≥ 1× peerjs-server", "max_rate", 1.0, True)]
                if col["processes"] > 1
                else [
                    ("relay ≥ 0.5×", "max_rate", 0.5, True),
                    ("connections/s ≥ 0.5×", "conn_per_s", 0.5, True),
                    *[
                        (f"idle memory/conn at {n:,} ≤ 1.5×", f"rss_{n}", 1.5, False)
                        for n in results["plan"]["idle_peers"]
                    ],
                    ("idle CPU ≤ 2×", "idle_cpu_pct", 2.0, False),
                ]
            )
            for name, key, bound, higher_is_better in targets:
                r = div(f.get(key), ref.get(key))
                met = None if r is None else (r >= bound if higher_is_better else r <= bound)
                out.append(
                    f"| {col['label']} | {name} | {fmt(r, '×', 2)} | "
                    f"{'n/a' if met is None else ('met' if met else '**missed**')} |"
                )
        out.append("")

    # Every relay step.
    out += [
        "## Relay steps",
        "",
        f"{pairs:,} sender→receiver pairs ({2 * pairs:,} peers; ≤ {MAX_PER_SENDER} frames/s per sender at the top "
        f"step), data-connection OFFERs of ~1.5 KB; each step {params['step_seconds']:.0f} s, a frame counts if it "
        "arrives by the step's end + 2 s. Stepping stops after the first failure (1,000, 2,000 and 5,000/s "
        "always run). "
        "CPU is % of one core over the step, its drain and settling; “others” is what every other process on the "
        "machine used meanwhile (other people's work on a shared machine shows there).",
        "",
    ]
    for col in cols:
        relay = col.get("relay") or {}
        if "error" in relay or not relay:
            out += [f"**{col['label']}**: {relay.get('error', 'not measured')}", ""]
            continue
        out += [
            f"**{col['label']}**",
            "",
            "| offered/s | sent/s | p50 ms | p99 ms | max ms | lost | late | server CPU % | generator CPU % "
            "| others' CPU % | µs/frame | |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in relay["steps"]:
            if s.get("error"):
                out.append(
                    f"| {s['offered']:,} | {s['error']}; closed: {s.get('closed_by_code')} ||||||||||| **fail** |"
                )
                continue
            verdict = "pass" if s["passed"] else ("**fail** (generator)" if s.get("generator_limited") else "**fail**")
            out.append(
                f"| {s['offered']:,} | {s['achieved']:,} | {fmt(s['p50_ms'], '', 2)} | {fmt(s['p99_ms'], '', 1)} | "
                f"{fmt(s['max_ms'], '', 0)} | {s['lost']:,} | {s['late']:,} | {fmt(s['server_cpu_pct'])} | "
                f"{fmt(s['generator_cpu_pct'])} | {fmt(s.get('others_cpu_pct'))} | {fmt(s['server_cpu_us_per_frame'])} "
                f"| {verdict} |"
            )
        out.append("")

    # Details.
    out += ["## Details", ""]
    for col in cols:
        parts = []
        idle = col.get("idle") or {}
        if idle.get("points"):
            pts = ", ".join(
                f"{p['connected']:,} peers in {p['connect_s']} s → "
                f"+{(p['rss_kb'] - idle['rss_before_kb']) / 1024:,.1f} MB"
                for p in idle["points"]
            )
            parts.append(f"idle: RSS before {idle['rss_before_kb'] / 1024:,.1f} MB; {pts}")
            if idle.get("incomplete"):
                parts.append(f"idle peers refused: {'; '.join(idle['incomplete'])}")
            if idle.get("stopped"):
                parts.append(f"idle stopped: {idle['stopped']}")
        if (col.get("relay") or {}).get("incomplete"):
            parts.append(f"relay: {col['relay']['incomplete']}")
        churn = col.get("churn") or {}
        if churn and "error" not in churn:
            parts.append(
                f"connections: {churn['completed']:,} OPENs in {churn['seconds']:.0f} s, {churn['failed']} failed"
                f"{' ' + json.dumps(churn['errors']) if churn['errors'] else ''}, "
                f"OPEN max {fmt(churn['open_max_ms'], ' ms', 0)}, server CPU "
                f"{churn['server_cpu_pct']} %, generator CPU {churn['generator_cpu_pct']} %"
            )
        flood = col.get("flood") or {}
        if flood and "error" not in flood:
            parts.append(
                f"flood: {flood['sent']:,} frames of {flood['frameBytes']:,} B "
                f"({flood['sendMBps']:,.0f} MB/s written), "
                f"partner got {flood['receivedByPartner']:,}; errors to the sender: {flood['errorsToSender'] or 'none'}"
            )
        before = col.get("machine_before")
        if before:
            parts.append(
                f"other processes used {before['busy_pct']} % of a core just before it started"
                + (f" (after waiting {before['waited_s']:.0f} s)" if before["waited_s"] > 2.5 else "")
                + ("" if before["quiet"] else ": **the machine was busy**")
            )
        probe = col.get("probe") or {}
        if probe.get("websocket_extensions"):
            parts.append(f"WebSocket extensions negotiated: {probe['websocket_extensions']}")
        for key in ("probe", "idle", "relay", "churn", "flood"):
            if "error" in (col.get(key) or {}):
                parts.append(f"{key}: **{col[key]['error']}**")
        if col.get("error"):
            parts.append(f"**{col['error']}**")
        for prof in ((col.get("relay") or {}).get("profile_step") or {}).get("profile") or []:
            parts.append(f"py-spy profile at {CPU_RATE:,}/s: {prof.get('file', prof.get('error'))}")
        prof = (col.get("churn") or {}).get("profile")
        if prof:
            parts.append(f"py-spy profile while connecting: {prof.get('file', prof.get('error'))}")
        out += [f"- **{col['label']}**: " + "; ".join(parts) + "."]
    out.append("")
    if results.get("notes"):
        out += ["## Notes", ""]
        out += [f"- {note}" for note in results["notes"]]
    return "\n".join(out) + "\n"


# --- main ------------------------------------------------------------------------------------------


def program_label(argv: list[str], taken: set[str]) -> str:
    label = Path(argv[0]).name
    n = 2
    base = label
    while label in taken:
        label = f"{base}-{n}"
        n += 1
    taken.add(label)
    return label


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller N, shorter and fewer steps (~2 minutes)")
    parser.add_argument(
        "--broker-cmd",
        action="append",
        default=[],
        metavar="CMD",
        help="another ASGI server command for the broker, with {port}, e.g. "
        '"uvicorn --ws websockets --host 127.0.0.1 --port {port} broker.asgi:application" (repeatable)',
    )
    parser.add_argument("--no-dockerfile", action="store_true", help="leave out deploy/Dockerfile's CMD column")
    parser.add_argument("--no-redis", action="store_true", help="leave out the two-process Redis column")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="add the first broker's server serving a bare relay (bench/signaling/floor_app.py): the server's own cost",
    )
    parser.add_argument("--no-peerjs", action="store_true", help="leave out peerjs-server (no ratios then)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="flushed before the Redis column")
    parser.add_argument(
        "--ladder", type=lambda s: [int(x) for x in s.split(",")], help="offered rates, comma-separated"
    )
    parser.add_argument("--workers", type=int, default=1, help="load generator threads (1)")
    parser.add_argument(
        "--no-deflate",
        dest="deflate",
        action="store_false",
        help="do not offer permessage-deflate (browsers offer it; the server decides)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy on the first broker (and on Redis): 2,000 frames/s, connecting"
    )
    parser.add_argument("--max-minutes", type=float, help="the whole run's time budget")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=90.0,
        metavar="S",
        help="before each column, wait up to S seconds for other processes to use < 25%% of a core (90; 0: never)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; write nothing to bench/results")
    parser.add_argument(
        "--only",
        type=lambda s: s.split(","),
        help="measure only these, comma-separated (idle,relay,churn,flood): for a quick look, never for results",
    )
    args = parser.parse_args(argv)
    if args.only and not args.no_write:
        print("--only is for a quick look: add --no-write (a partial run must not replace results)", file=sys.stderr)
        return 2
    params = dict(QUICK if args.quick else FULL)
    if args.ladder:
        params["ladder"] = sorted(args.ladder)
    if args.max_minutes:
        params["max_minutes"] = args.max_minutes
    params["quick"] = args.quick

    if not (LOADGEN_DIR / "node_modules" / "ws").exists():
        print("bench/signaling/node_modules is missing: run `make bench-signaling` (npm ci there)", file=sys.stderr)
        return 2
    if host_redis := re.match(r"redis://([^:/]+)", args.redis_url):
        if host_redis.group(1) not in ("127.0.0.1", "localhost"):
            print("--redis-url must be on 127.0.0.1", file=sys.stderr)
            return 2

    started = time.monotonic()
    deadline = started + params["max_minutes"] * 60
    nofile = raise_nofile()
    plan = Plan(params, nofile[0])
    now = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "bench": "signaling",
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(nofile),
        "parameters": {**params, **{k: v for k, v in vars(args).items() if k not in ("ladder", "max_minutes")}},
        "plan": vars(plan),
        "notes": [],
    }
    if plan.capped:
        results["notes"].append(
            f"RLIMIT_NOFILE is {nofile[0]:,}: idle measures at {plan.capped} peers were left out (they need one "
            "descriptor per peer in the generator and in the server)"
        )

    columns: list[Column] = []
    taken: set[str] = {"peerjs-server"}
    if not args.no_peerjs:
        columns.append(Column("peerjs-server", "peerjs", None))
    broker_cmds: list[list[str]] = []
    if not args.no_dockerfile:
        cmd, raw = image_command()
        broker_cmds.append(cmd)
        results["dockerfile_cmd"] = raw
    # The floor: the first broker's server serving bench/signaling/floor_app.py's bare relay.
    floor = [FLOOR_APP if a == "broker.asgi:application" else a for a in broker_cmds[0]] if broker_cmds else []
    broker_cmds += [shlex.split(c) for c in args.broker_cmd]
    for cmd in broker_cmds:
        if not any("{port}" in a for a in cmd):
            print(f"--broker-cmd needs a {{port}} placeholder: {shlex.join(cmd)}", file=sys.stderr)
            return 2
        if any("0.0.0.0" in a for a in cmd):
            print(f"--broker-cmd must bind 127.0.0.1, not 0.0.0.0: {shlex.join(cmd)}", file=sys.stderr)
            return 2
        columns.append(Column(program_label(cmd, taken), "broker", cmd))
    if args.floor and FLOOR_APP in floor:
        columns.append(Column(f"{Path(floor[0]).name}, bare relay (floor)", "broker", floor))
    if broker_cmds and not args.no_redis:
        first = broker_cmds[0]
        columns.append(Column(f"{Path(first[0]).name} ×2 on Redis", "broker", first, processes=2))

    # A watchdog: a server that hangs everything cannot hold the run past its budget.
    def watchdog() -> None:
        log("the run's time budget + 3 minutes is over: stopping everything")
        for proc in list(SPAWNED):
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(3)

    timer = threading.Timer(params["max_minutes"] * 60 + 180, watchdog)
    timer.daemon = True
    timer.start()

    status = 0
    with tempfile.TemporaryDirectory(prefix="peerwall-sigbench-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "static").mkdir()
        secret_key = secrets.token_urlsafe(50)  # throwaway, for this run only
        db_path = tmp / "bench.sqlite3"
        env = broker_env(tmp, secret_key, db_path)
        log(f"making {plan.users:,} users with sessions in {db_path.name} ...")
        t0 = time.monotonic()
        users = make_users(env, plan.users)
        results["users_made_s"] = round(time.monotonic() - t0, 1)
        log(f"... in {results['users_made_s']} s")
        profile_to = (RESULTS if not args.no_write else LOGS.parent) / "signaling-profile.txt" if args.profile else None
        if args.profile and not (VENV_BIN / "py-spy").exists():
            results["notes"].append("--profile: py-spy is not installed in .venv (pip install py-spy); no profile")
            profile_to = None
        results["columns"] = []
        try:
            for column in columns:
                column_env = env
                if column.processes > 1:
                    import redis

                    redis.Redis.from_url(args.redis_url).flushdb()
                    column_env = broker_env(tmp, secret_key, db_path, args.redis_url)
                # The first broker column, and the first on Redis (whose profile files are named so).
                first_of_kind = column.kind == "broker" and not any(
                    c["kind"] == "broker" and c["processes"] == column.processes for c in results["columns"]
                )
                prof = None
                if profile_to is not None and first_of_kind:
                    prof = profile_to if column.processes == 1 else profile_to.with_name("signaling-profile-redis.txt")
                results["columns"].append(
                    run_column(column, column_env, tmp, users, plan, params, args, deadline, prof)
                )
        finally:
            for proc in list(SPAWNED):
                stop(proc)
            # The servers' and the generator's own logs, for a look after the run (not committed).
            shutil.rmtree(LOGS, ignore_errors=True)
            LOGS.mkdir(parents=True, exist_ok=True)
            for path in tmp.glob("*.log"):
                shutil.copy(path, LOGS / path.name)
    timer.cancel()

    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["run_seconds"] = round(time.monotonic() - started, 1)
    missing = [
        f"{c['label']}: {key}"
        for c in results["columns"]
        for key in ("probe", "idle", "relay", "churn", "flood")
        if (not args.only or key == "probe" or key in args.only) and "error" in c.get(key, {"error": "not run"})
    ]
    if missing:
        status = 1
        results["notes"].append(f"not measured (see the error in the JSON): {', '.join(missing)}")
    results["notes"] += [
        f"relay pairs: {plan.pairs:,} (so that a sender stays ≤ {MAX_PER_SENDER} frames/s at the top step, under the "
        "broker's default 50/s per connection); peers send HEARTBEAT every 5 s, and on the broker WATCH their partner "
        "first; the broker runs with SIGNALING_MAX_CONNECTIONS_PER_ADDRESS=0 (every peer comes from 127.0.0.1)",
        "peerjs-server runs with concurrent_limit 1,000,000 (its default 5,000 would refuse the idle measures)",
        f"load generator: one Node process, {args.workers} worker thread(s); permessage-deflate "
        f"{'offered, as browsers do' if args.deflate else 'not offered'}",
        f"whole run: {results['run_seconds']} s",
    ]
    text = summary(results)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        json_path = RESULTS / f"signaling-{now.strftime('%Y-%m-%d')}.json"
        json_path.write_text(json.dumps(results, indent=1) + "\n")
        (RESULTS / "signaling-latest.md").write_text(text)
        log(f"wrote {json_path.relative_to(ROOT)} and bench/results/signaling-latest.md")
    return status


if __name__ == "__main__":
    sys.exit(main())
