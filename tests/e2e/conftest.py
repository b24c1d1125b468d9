"""End-to-end fixtures: a real daphne server, the system Chromium, users signed up through the real pages.

These tests talk to a server in a subprocess (its own SQLite file, the in-memory channel layer),
never to pytest-django's test database, so they need no ``db`` fixture and never touch the ORM.
Run them with ``make test-e2e``: as root that puts the server and the browsers in a network
namespace made for the run (``scripts/in-netns``), so every WebRTC packet stays inside it.

On a failure, the report gets two extra sections: what the pages logged to their consoles
(and any uncaught page errors), and what the server logged while the test ran.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.services import services_required

ROOT = Path(__file__).resolve().parents[2]
APP_BUNDLE = ROOT / "frontend" / "static" / "frontend" / "app.js"
PEERJS_CLIENT = ROOT / "frontend" / "node_modules" / "peerjs" / "dist" / "peerjs.min.js"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
E2E_DIR = Path(__file__).resolve().parent

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
_SCRUBBED_ENV = ("DATABASE_URL", "REDIS_URL", "STUN_URLS", "TURN_URLS", "TURN_SECRET", "ALLOWED_HOSTS")


@pytest.hookimpl(tryfirst=True)  # the markers must be on the items before `-m e2e` selects by them
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test, whether or not its module says so."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# --- the server ------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")


_server: LiveServer | None = None


def _venv_bin() -> Path:
    venv = ROOT / ".venv" / "bin"
    return venv if (venv / "daphne").exists() else Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        DEBUG="1",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="broker.settings",
        PYTHONUNBUFFERED="1",
        # The tests sign many people up from one address.
        SIGNUP_RATE_LIMIT="1000/m/ip",
    )
    return env


def _get(url: str) -> int:
    # No proxy, whatever the environment says: this request is for our own loopback server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_serving(server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    status: object = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"daphne exited with code {server.process.returncode} before serving {server.url}/:\n"
                f"{server.log_since(0)}",
                pytrace=False,
            )
        try:
            status = _get(f"{server.url}/")
            if status == 200:
                return
        except OSError as error:
            status = error
        time.sleep(0.1)
    pytest.fail(
        f"daphne did not answer GET {server.url}/ with 200 within {SERVER_START_SECONDS:.0f} s "
        f"(last: {status}):\n{server.log_since(0)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A daphne server on a free loopback port, on a fresh SQLite file; yields its base URL."""
    global _server
    if not APP_BUNDLE.exists():
        pytest.fail(f"The app bundle {APP_BUNDLE.relative_to(ROOT)} is missing: run `make build` first.", pytrace=False)

    workdir = tmp_path_factory.mktemp("e2e-server")
    env = _server_env(workdir / "e2e.sqlite3")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if migrate.returncode != 0:
        pytest.fail(f"manage.py migrate failed:\n{migrate.stdout}\n{migrate.stderr}", pytrace=False)

    port = _free_port()
    log_path = workdir / "daphne.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(_venv_bin() / "daphne"), "-b", "127.0.0.1", "-p", str(port), "broker.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_serving(server)
        _server = server
        yield server.url
    finally:
        _server = None
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The system Chromium, headless; nothing here ever downloads a browser."""
    executable = next((path for path in CHROMIUM_CANDIDATES if os.access(path, os.X_OK)), None)
    if executable is None:
        reason = (
            f"Chromium is not installed (looked for {', '.join(CHROMIUM_CANDIDATES)}): "
            "`apt-get install chromium` to run the browser tests"
        )
        if services_required() or os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
            pytest.fail(f"{reason}; REQUIRE_SERVICES or CI is set, so this is a failure.", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# --- what the pages and the server said, shown when a test fails ------------------------------

_CONSOLE = pytest.StashKey[list[str]]()
_SERVER_LOG_OFFSET = pytest.StashKey[int]()


@dataclass
class BrowserLog:
    lines: list[str] = field(default_factory=list)

    def watch(self, page: Page, label: str) -> None:
        """Collects the page's console messages and uncaught errors under ``label``."""
        page.on("console", lambda message: self.lines.append(f"[{label}] console.{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.lines.append(f"[{label}] page error: {error}"))
        page.on("crash", lambda _page: self.lines.append(f"[{label}] the page crashed"))


@pytest.fixture(autouse=True)
def browser_log(request: pytest.FixtureRequest) -> BrowserLog:
    log = BrowserLog()
    request.node.stash[_CONSOLE] = log.lines
    if _server is not None:
        request.node.stash[_SERVER_LOG_OFFSET] = _server.log_size()
    return log


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if report.failed and E2E_DIR in Path(item.path).resolve().parents:
        lines = item.stash.get(_CONSOLE, [])
        report.sections.append(("browser console", "\n".join(lines) if lines else "(nothing logged)"))
        if _server is not None:
            offset = item.stash.get(_SERVER_LOG_OFFSET, 0)
            report.sections.append(("server log during this test", _server.log_since(offset) or "(nothing logged)"))
    return report


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


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def sign_up(
    browser: Browser, live_server_url: str, browser_log: BrowserLog, request: pytest.FixtureRequest
) -> Iterator[Callable[..., User]]:
    """Signs a new user up through the real sign-up page, each in a browser context of its own.

    ``sign_up("alice")`` returns a ``User`` whose page has landed on /app/ (the app's own PeerJS
    client is connecting there as the user's handle). Extra keyword arguments go to
    ``browser.new_context``. Screenshots of the filled sign-up form and of /app/ are saved in
    test-results/screenshots/ for people to look at.
    """
    contexts: list[BrowserContext] = []

    def make(name: str, **context_options) -> User:
        handle = unique_handle(name)
        context = browser.new_context(**context_options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        browser_log.watch(page, f"{name} @{handle}")
        shot = f"{request.node.name}-{name}"

        page.goto(f"{live_server_url}/accounts/signup/")
        page.get_by_label("Handle").fill(handle)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password (again)").fill(PASSWORD)
        screenshot(page, f"{shot}-signup")
        page.get_by_role("button", name="Sign up").click()
        expect(page).to_have_url(re.compile(r"/app/$"), timeout=TIMEOUT_MS)

        expect(page.get_by_role("heading", name=f"@{handle}")).to_be_visible(timeout=TIMEOUT_MS)
        # Best effort, so that the screenshot shows where the app's connection settled.
        with contextlib.suppress(PlaywrightTimeoutError):
            page.locator("#app").get_by_role("status").filter(has_not_text="Connecting").wait_for(timeout=5_000)
        screenshot(page, f"{shot}-app")
        return User(handle, PASSWORD, context, page)

    yield make
    for context in contexts:
        context.close()
