"""End-to-end fixtures: a real daphne server, the system Chromium, users signed up through the real pages.

The work is done by plain functions in ``tests/e2e/harness.py`` (shared with the benchmarks in
bench/); the fixtures here only tie them to pytest: a session-wide server and browser, a user
factory whose contexts close after each test, and failure reports with what pages and server said.

These tests talk to a server in a subprocess (its own SQLite file, the in-memory channel layer),
never to pytest-django's test database, so they need no ``db`` fixture and never touch the ORM.
Run them with ``make test-e2e``: as root that puts the server and the browsers in a network
namespace made for the run (``scripts/in-netns``), so every WebRTC packet stays inside it.

On a failure, the report gets two extra sections: what the pages logged to their consoles
(and any uncaught page errors), and what the server logged while the test ran.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.e2e import harness
from tests.e2e.harness import (  # re-exported: the tests import these from here or from harness
    APP_BUNDLE,
    CHROMIUM_ARGS,
    PASSWORD,
    PEERJS_CLIENT,
    ROOT,
    SCREENSHOTS,
    TIMEOUT_MS,
    BrowserLog,
    LiveServer,
    User,
    screenshot,
    unique_handle,
)
from tests.services import skip_or_fail

__all__ = [
    "APP_BUNDLE",
    "CHROMIUM_ARGS",
    "PASSWORD",
    "PEERJS_CLIENT",
    "ROOT",
    "SCREENSHOTS",
    "TIMEOUT_MS",
    "BrowserLog",
    "LiveServer",
    "User",
    "screenshot",
    "unique_handle",
]

E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # the markers must be on the items before `-m e2e` selects by them
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is an e2e test, whether or not its module says so."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# --- the server ------------------------------------------------------------------------------

_server: LiveServer | None = None


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A daphne server on a free loopback port, on a fresh SQLite file; yields its base URL."""
    global _server
    workdir = tmp_path_factory.mktemp("e2e-server")
    try:
        server = LiveServer.start(workdir)
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        _server = server
        yield server.url
    finally:
        _server = None
        server.stop()
    # After every browser test has signed people up, logged them in and out: the server still
    # holds accounts only (tests/test_database_holds_only_accounts.py checks the schema).
    assert_holds_only_accounts(workdir / "e2e.sqlite3")


def assert_holds_only_accounts(database: Path) -> None:
    with sqlite3.connect(database) as db:
        users = db.execute("SELECT count(*) FROM auth_user").fetchone()[0]
        stray = {
            t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in ("account_emailaddress", "django_admin_log")
        }
    assert users > 0, "the end-to-end suite signed no one up"
    assert stray == {"account_emailaddress": 0, "django_admin_log": 0}, f"rows beyond accounts: {stray}"


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for tests that launch browsers of their own (persistent profiles)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium; skipped when it is missing, failed under CI / REQUIRE_SERVICES.

    The browser tests are part of `make test`: a CI runner without Chromium would otherwise
    go green with every one of them skipped.
    """
    executable = harness.find_chromium()
    if executable is None:
        reason = (
            f"Chromium is not installed (looked for {', '.join(harness.CHROMIUM_CANDIDATES)}): "
            "`apt-get install chromium` to run the browser tests"
        )
        skip_or_fail(reason)
    return executable


@pytest.fixture(scope="session")
def browser(chromium_executable: str, playwright: Playwright) -> Iterator[Browser]:
    """The system Chromium, headless; nothing here ever downloads a browser."""
    chromium = harness.launch_chromium(playwright)
    try:
        yield chromium
    finally:
        chromium.close()


# --- what the pages and the server said, shown when a test fails ------------------------------

_CONSOLE = pytest.StashKey[list[str]]()
_SERVER_LOG_OFFSET = pytest.StashKey[int]()
_CALL_PASSED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def browser_log(request: pytest.FixtureRequest) -> Iterator[BrowserLog]:
    """What the watched pages said. A test that passed still fails on an uncaught page error or
    a console error it did not declare with ``browser_log.expect_error(pattern)``."""
    log = BrowserLog()
    request.node.stash[_CONSOLE] = log.lines
    if _server is not None:
        request.node.stash[_SERVER_LOG_OFFSET] = _server.log_size()
    yield log
    if request.node.stash.get(_CALL_PASSED, False) and log.unexpected():
        pytest.fail("the pages logged errors this test does not expect:\n" + "\n".join(log.unexpected()), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    if report.failed and E2E_DIR in Path(item.path).resolve().parents:
        lines = item.stash.get(_CONSOLE, [])
        report.sections.append(("browser console", "\n".join(lines) if lines else "(nothing logged)"))
        if _server is not None:
            offset = item.stash.get(_SERVER_LOG_OFFSET, 0)
            report.sections.append(("server log during this test", _server.log_since(offset) or "(nothing logged)"))
    return report


# --- users -----------------------------------------------------------------------------------


@pytest.fixture
def sign_up(
    browser: Browser, live_server_url: str, browser_log: BrowserLog, request: pytest.FixtureRequest
) -> Iterator[Callable[..., User]]:
    """Signs a new user up through the real sign-up page, each in a browser context of its own.

    ``sign_up("alice")`` returns a ``User`` whose page has landed on /app/ (the app's own PeerJS
    client is connecting there as the user's handle). Extra keyword arguments go to
    ``browser.new_context``. Screenshots of the filled sign-up form and of /app/ are saved in
    test-results/screenshots/ for people to look at. Every page the context opens, now or
    later, is watched by ``browser_log`` under the user's name.
    """
    contexts: list[BrowserContext] = []

    def make(name: str, **context_options) -> User:
        handle = unique_handle(name)
        context = browser.new_context(**context_options)
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        browser_log.watch_context(context, f"{name} @{handle}")
        try:
            page = harness.sign_up(context, live_server_url, handle, PASSWORD, shots=f"{request.node.name}-{name}")
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return User(handle, PASSWORD, context, page)

    yield make
    for context in contexts:
        context.close()
