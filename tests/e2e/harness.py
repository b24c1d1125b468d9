"""The end-to-end harness without pytest: a daphne server, the system Chromium, users signed up.

These are plain functions and classes, so that the browser tests (through the fixtures in
conftest.py) and the benchmarks in bench/ drive the server and the browsers the same way.
Everything here raises ``RuntimeError`` with a readable reason when something cannot be done;
the pytest fixtures turn that into a failure (or a skip) of their own.

- ``LiveServer.start(workdir)``: migrates a fresh SQLite file in ``workdir`` and starts daphne on
  a free loopback port, with an environment scrubbed of anything that would point the server at
  PostgreSQL, Redis or a STUN/TURN server; ``stop()`` (or ``with``) ends it.
- ``find_chromium()`` / ``launch_chromium(playwright)`` / ``launch_persistent_chromium(...)``: the
  system Chromium, headless, with the flags WebRTC needs here.
- ``sign_up(context, base_url, handle)`` / ``log_in(page, base_url, handle)``: through the real pages;
  ``log_in(..., setup=True)`` / ``log_in_fresh(...)`` in a browser that holds nothing of the handle's.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, BrowserType, ConsoleMessage, Page, Playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.deployed_server import image_argv

ROOT = Path(__file__).resolve().parents[2]
APP_BUNDLE = ROOT / "frontend" / "static" / "frontend" / "app.js"
PEERJS_CLIENT = ROOT / "frontend" / "node_modules" / "peerjs" / "dist" / "peerjs.min.js"
SCREENSHOTS = ROOT / "test-results" / "screenshots"

# The real binary first: /usr/bin/chromium is a shell wrapper that prints a harmless warning.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Real host addresses in ICE candidates instead of mDNS .local names (which need multicast).
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    # Nothing but our own loopback server is ever contacted, whatever proxy the environment names.
    "--no-proxy-server",
]

TIMEOUT_MS = 15_000
SERVER_START_SECONDS = 30.0
PASSWORD = "correct horse battery staple"

# Settings the server must not inherit from the environment: it runs on SQLite and the in-memory
# channel layer, and hands out no STUN/TURN servers (the browsers must never contact one).
SCRUBBED_ENV = ("DATABASE_URL", "REDIS_URL", "STUN_URLS", "TURN_URLS", "TURN_SECRET", "ALLOWED_HOSTS")


# --- the server ------------------------------------------------------------------------------


def venv_bin() -> Path:
    venv = ROOT / ".venv" / "bin"
    return venv if (venv / "daphne").exists() else Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database: Path, **extra: str) -> dict[str, str]:
    """This process's environment without ``SCRUBBED_ENV``, pointed at ``database``; ``extra`` wins."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DEBUG="1",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="broker.settings",
        PYTHONUNBUFFERED="1",
        # The tests sign many people up from one address.
        SIGNUP_RATE_LIMIT="1000/m/ip",
    )
    env.update(extra)
    return env


def http_status(url: str, timeout: float = 2.0) -> int:
    """The status of GET ``url``; raises OSError when nothing answers."""
    # No proxy, whatever the environment says: this request is for our own loopback server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@dataclass
class LiveServer:
    """A server process serving broker.asgi on ``url``, logging to ``log_path``.

    daphne by default (what ``make run`` serves); ``deployed=True`` runs deploy/Dockerfile's own
    server command instead, as the image does.
    """

    url: str
    process: subprocess.Popen
    log_path: Path

    @classmethod
    def start(
        cls,
        workdir: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        start_seconds: float = SERVER_START_SECONDS,
        deployed: bool = False,
    ) -> LiveServer:
        """Migrates ``workdir``/e2e.sqlite3 and starts the server; returns once GET / answers 200.

        ``env`` adds to (and overrides) ``server_env``'s variables, e.g. rate limits for a benchmark.
        """
        if not APP_BUNDLE.exists():
            raise RuntimeError(f"The app bundle {APP_BUNDLE.relative_to(ROOT)} is missing: run `make build` first.")
        workdir.mkdir(parents=True, exist_ok=True)
        environment = server_env(workdir / "e2e.sqlite3", **(env or {}))
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"manage.py migrate failed:\n{migrate.stdout}\n{migrate.stderr}")

        port = port or free_port()
        log_path = workdir / "server.log"
        if deployed:
            argv = image_argv(port)
        else:
            argv = [str(venv_bin() / "daphne"), "-b", "127.0.0.1", "-p", str(port), "broker.asgi:application"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = cls(f"http://127.0.0.1:{port}", process, log_path)
        try:
            server.wait_until_serving(start_seconds)
        except BaseException:
            server.stop()
            raise
        return server

    def wait_until_serving(self, seconds: float = SERVER_START_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        status: object = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                log = self.log_since(0)
                raise RuntimeError(f"the server exited with code {code} before serving {self.url}/:\n{log}")
            try:
                status = http_status(f"{self.url}/")
                if status == 200:
                    return
            except OSError as error:
                status = error
            time.sleep(0.1)
        raise RuntimeError(
            f"the server did not answer GET {self.url}/ with 200 within {seconds:.0f} s (last: {status}):\n"
            f"{self.log_since(0)}"
        )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")


# --- the browser -----------------------------------------------------------------------------


def find_chromium() -> str | None:
    """The system Chromium's executable, or None when it is not installed."""
    return next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)


def _chromium() -> str:
    executable = find_chromium()
    if executable is None:
        raise RuntimeError(
            f"Chromium is not installed (looked for {', '.join(CHROMIUM_CANDIDATES)}): "
            "`apt-get install chromium` to run the browser tests"
        )
    return executable


def launch_chromium(playwright: Playwright, **options) -> Browser:
    """The system Chromium, headless, with ``CHROMIUM_ARGS``; nothing here ever downloads a browser."""
    browser_type: BrowserType = playwright.chromium
    return browser_type.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS, **options)


def launch_persistent_chromium(playwright: Playwright, user_data_dir: Path | str, **options) -> BrowserContext:
    """A whole browser on a profile directory that outlives it (cookies, IndexedDB): one context.

    Closing the returned context ends that browser; launching again on the same directory is a
    browser restart.
    """
    context = playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS, **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@dataclass
class BrowserLog:
    """What pages said: console messages, uncaught errors and crashes, each under a label."""

    lines: list[str] = field(default_factory=list)
    # Uncaught errors, crashes and console.error lines; a test passes only if each is expected.
    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def expect_error(self, pattern: str) -> None:
        """An error this test provokes on purpose (a regular expression searched in the line)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]

    def watch(self, page: Page, label: str) -> None:
        """Collects the page's console messages and uncaught errors under ``label``."""

        def on_error(error: object) -> None:
            line = f"[{label}] page error: {error}"
            self.lines.append(line)
            self.errors.append(line)

        def on_crash(_page: Page) -> None:
            line = f"[{label}] the page crashed"
            self.lines.append(line)
            self.errors.append(line)

        def on_console(message: ConsoleMessage) -> None:
            line = f"[{label}] console.{message.type}: {message.text}"
            self.lines.append(line)
            if message.type == "error":
                self.errors.append(line)

        page.on("console", on_console)
        page.on("pageerror", on_error)
        page.on("crash", on_crash)

    def watch_context(self, context: BrowserContext, label: str) -> None:
        """Watches every page the context has and every page it opens later."""
        for page in context.pages:
            self.watch(page, label)
        context.on("page", lambda page: self.watch(page, label))


# --- users -----------------------------------------------------------------------------------


@dataclass
class User:
    handle: str
    password: str
    context: BrowserContext
    page: Page


def unique_handle(name: str) -> str:
    """``name`` plus a random suffix, a valid handle of at most 15 characters: ``alice_3fa9c2``."""
    stem = re.sub(r"[^A-Za-z0-9]", "", name)[:8] or "user"
    return f"{stem}_{secrets.token_hex(3)}"


def screenshot(page: Page, name: str, directory: Path = SCREENSHOTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    # A sticky header of a scrolled page lands mid-picture in a full-page screenshot.
    with contextlib.suppress(PlaywrightError):
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path


def _form_errors(page: Page) -> str:
    with contextlib.suppress(PlaywrightError):
        texts = page.locator(".form-errors, .field .error").all_inner_texts()
        if texts:
            return "; ".join(t.strip() for t in texts)
    return "(the page shows no error)"


def _await_app_url(page: Page, handle: str, what: str, timeout_ms: int) -> None:
    """Waits for /app/; RuntimeError with the form's errors if not."""
    try:
        page.wait_for_url(re.compile(r"/app/(#.*)?$"), timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise RuntimeError(f"{what} as @{handle} did not lead to /app/ (at {page.url}): {_form_errors(page)}") from None


def _await_app(page: Page, handle: str, what: str, timeout_ms: int) -> None:
    """Waits for /app/ showing ``@handle``'s wall; RuntimeError with the form's errors if not."""
    _await_app_url(page, handle, what, timeout_ms)
    try:
        page.get_by_role("heading", name=f"@{handle}", exact=True).wait_for(timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise RuntimeError(f"/app/ did not show @{handle}'s wall after {what.lower()}") from None


def wait_until_connected(page: Page, timeout_ms: int = 5_000) -> bool:
    """Best effort: waits for the app's connection status to leave "Connecting…"; True if it did."""
    try:
        page.locator("#app").get_by_role("status").filter(has_not_text="Connecting").first.wait_for(timeout=timeout_ms)
    except PlaywrightTimeoutError:
        return False
    return True


def sign_up(
    context: BrowserContext,
    base_url: str,
    handle: str,
    password: str = PASSWORD,
    *,
    page: Page | None = None,
    shots: str | None = None,
    timeout_ms: int = TIMEOUT_MS,
) -> Page:
    """Signs ``handle`` up through the real sign-up page; returns the page, landed on /app/.

    The app's own PeerJS client is connecting there as ``handle`` when this returns. With
    ``shots``, screenshots ``{shots}-signup`` (the filled form) and ``{shots}-app`` are saved.
    """
    page = page or context.new_page()
    page.goto(f"{base_url}/accounts/signup/", timeout=timeout_ms)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    if shots:
        screenshot(page, f"{shots}-signup")
    page.get_by_role("button", name="Sign up").click()
    _await_app(page, handle, "Signing up", timeout_ms)
    if shots:
        wait_until_connected(page)  # so that the screenshot shows where the connection settled
        screenshot(page, f"{shots}-app")
    return page


def log_in(
    page: Page,
    base_url: str,
    handle: str,
    password: str = PASSWORD,
    *,
    setup: bool = False,
    timeout_ms: int = TIMEOUT_MS,
) -> Page:
    """Logs ``handle`` in through the real log-in page; returns the page, landed on /app/ showing the wall.

    A browser that holds no identity for ``handle`` is first asked how to set up (``SETUP_CHOICES``):
    with ``setup=True`` this returns once the app shows those choices instead. ``log_in_fresh``
    takes `Start fresh` there; tests/e2e/ui.py has the other three.
    """
    page.goto(f"{base_url}/accounts/login/", timeout=timeout_ms)
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    if setup:
        await_setup_choice(page, handle, timeout_ms)
    else:
        _await_app(page, handle, "Logging in", timeout_ms)
    return page


# --- setting up a browser that holds no identity for the handle (after log-in, never sign-up) ---

SETUP_CHOICES = ("Link to my other device", "Restore from recovery phrase", "Import backup", "Start fresh")


def await_setup_choice(page: Page, handle: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Waits for /app/ asking how to set this browser up: a button for each of ``SETUP_CHOICES``."""
    _await_app_url(page, handle, "Logging in", timeout_ms)
    for name in SETUP_CHOICES:
        try:
            page.get_by_role("button", name=name, exact=True).wait_for(timeout=timeout_ms)
        except PlaywrightTimeoutError:
            raise RuntimeError(f"/app/ did not offer {name!r} after logging in as @{handle} in a new browser") from None


def start_fresh(page: Page, handle: str, timeout_ms: int = TIMEOUT_MS) -> Page:
    """Takes `Start fresh` on the set-up choice (a new key), saying yes if the app asks first;
    returns once ``@handle``'s wall shows."""
    page.get_by_role("button", name="Start fresh", exact=True).click()
    wall = page.get_by_role("heading", name=f"@{handle}", exact=True)
    yes = page.get_by_role("button", name=re.compile(r"^Yes\b"))
    with contextlib.suppress(PlaywrightTimeoutError):
        wall.or_(yes).first.wait_for(timeout=timeout_ms)
    if yes.is_visible():
        yes.click()
    _await_app(page, handle, "Starting fresh", timeout_ms)
    return page


def log_in_fresh(
    page: Page, base_url: str, handle: str, password: str = PASSWORD, *, timeout_ms: int = TIMEOUT_MS
) -> Page:
    """Logs ``handle`` in from a browser that holds nothing of theirs and starts fresh there (a new key)."""
    log_in(page, base_url, handle, password, setup=True, timeout_ms=timeout_ms)
    return start_fresh(page, handle, timeout_ms)
