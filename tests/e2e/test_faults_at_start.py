"""Three faults at start-up, each ending in a plain message: never a crash, never an endless spinner.

- The browser refuses IndexedDB for the site: the profile's IndexedDB folder is made read-only for
  real (a read-only bind mount, as root), and the app says it cannot keep the wall in this browser.
- An older version of the database held open in another tab: the app's upgrade waits, says so, and
  goes on by itself once that tab lets go; and a newer version opening elsewhere makes the live tab
  let go at once and stop.
- The broker unreachable at first load: the wall is shown from this browser, with a plain status,
  and the app reconnects by itself once the server can be reached.

Nothing here fakes IndexedDB or the messages: the database is the browser's own, the refusals come
from Chromium, and the "other tabs" are pages of the same browser using the raw IndexedDB API as
another build of the app would.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Locator, Page, Playwright, Route, WebSocketRoute, expect

from tests.e2e import harness
from tests.e2e.harness import PASSWORD, BrowserLog, screenshot, unique_handle
from tests.e2e.ui import (
    PEER_MS,
    app_url,
    befriend,
    connection_status,
    expect_friend,
    expect_online,
    open_wall,
    post,
    post_article,
    wall,
)
from tests.services import skip_or_fail

# The app's database: one per handle, at this version (frontend/src/store/db.ts).
DB_VERSION = 3
# The app's reconnection backoff after a few failures (net/broker.ts: 1, 2, 4, 8 s, +-25%).
RETRY_S = 12


def db_name(handle: str) -> str:
    return f"peerwall-{handle.lower()}"


def broker_words(page: Page) -> Locator:
    """The sentence under the connection status while the server cannot be reached."""
    return page.get_by_role("navigation", name="Peerwall").get_by_text("Peerwall cannot reach its server")


def notice(page: Page, title: str) -> Locator:
    """The page's one notice, found by its heading."""
    return page.get_by_role("alert").filter(has=page.get_by_role("heading", name=title, exact=True))


def expect_no_app(page: Page) -> None:
    expect(page.get_by_role("navigation", name="Peerwall")).to_have_count(0)
    expect(page.get_by_role("textbox", name="New post")).to_have_count(0)


# --- 1. IndexedDB refused ----------------------------------------------------------------------


def need_root() -> None:
    if os.geteuid() != 0:
        skip_or_fail("making a profile's IndexedDB folder read-only needs root (a bind mount): run as root")


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """``directory`` made read-only for everyone, root included, by a read-only bind mount over it."""
    need_root()
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(directory), str(directory)], capture_output=True, text=True
    )
    if done.returncode != 0:
        skip_or_fail(f"could not mount {directory} read-only: {done.stderr.strip() or done.returncode}")
    try:
        yield
    finally:
        # Lazily if a process still holds a file there: the mount must not outlive the test.
        if subprocess.run(["umount", str(directory)]).returncode != 0:
            subprocess.run(["umount", "-l", str(directory)], check=True)


def test_a_browser_that_refuses_storage_says_so_and_keeps_the_wall(
    playwright: Playwright, chromium_executable: str, live_server_url: str, tmp_path: Path, browser_log: BrowserLog
):
    """The profile's IndexedDB folder cannot be written: the app says so plainly, and loses nothing.

    Proves: after a browser restart on a profile whose IndexedDB folder is read-only (a real
    refusal: Chromium cannot open its backing store), /app/ shows one notice, "Peerwall cannot
    keep your wall in this browser", saying what to do, with a Reload button, and no wall or
    composer; Chromium's own words stay out of the notice (logged as a warning, not an error);
    once the folder is writable again, the next start shows the wall with what was posted before.
    """
    need_root()
    profile = tmp_path / "profile"
    handle = unique_handle("erin")
    text = "Written while the disk could still be written"

    context = harness.launch_persistent_chromium(playwright, profile)
    try:
        browser_log.watch_context(context, f"erin @{handle}")
        page = harness.sign_up(context, live_server_url, handle, PASSWORD, page=context.pages[0])
        post(page, handle, text)
    finally:
        context.close()

    store = profile / "Default" / "IndexedDB"
    assert any(store.glob("*.indexeddb.leveldb")), (
        f"Chromium keeps IndexedDB elsewhere now: {list(store.parent.iterdir())}"
    )
    with read_only(store):
        # The refusal is real: not even root may write there.
        try:
            (store / "probe").write_text("x")
        except OSError as error:
            assert error.errno == errno.EROFS, error
        else:
            raise AssertionError(f"{store} is still writable")

        context = harness.launch_persistent_chromium(playwright, profile)
        try:
            browser_log.watch_context(context, f"erin @{handle} (read-only store)")
            page = context.pages[0]
            page.goto(app_url(live_server_url))
            card = notice(page, "Peerwall cannot keep your wall in this browser")
            expect(card).to_be_visible(timeout=PEER_MS)
            expect(card).to_contain_text("Allow site data for this site in your browser's settings")
            expect(card.get_by_role("button", name="Reload", exact=True)).to_be_visible()
            expect(card).not_to_contain_text("backing store")
            expect_no_app(page)
            shot = screenshot(page, "test_faults_at_start-storage-refused")
            print(f"screenshot: {shot}")
            # What Chromium said: the app keeps it for whoever looks, as a warning, not as a crash.
            refusal = "UnknownError: Internal error opening backing store for indexedDB.open."
            assert any(refusal in line and "console.warning" in line for line in browser_log.lines), browser_log.lines
        finally:
            context.close()

    context = harness.launch_persistent_chromium(playwright, profile)
    try:
        browser_log.watch_context(context, f"erin @{handle} (store writable again)")
        page = context.pages[0]
        page.goto(app_url(live_server_url))
        expect(page.get_by_role("heading", name=f"@{handle}", exact=True)).to_be_visible()
        expect(post_article(page, handle, text)).to_be_visible()
    finally:
        context.close()

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 2. another tab and another version ----------------------------------------------------------

# An old build of the app, in another tab: it reopens the database at version 2 with what the
# store held (its stores as version 2 had them), and keeps the connection open with no
# versionchange handler, as builds before the handler did.
HOLD_OLD_VERSION = """async (name) => {
  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const current = await request(indexedDB.open(name));
  const stores = ["identity", "friends", "events", "outbox", "meta", "blobs"];
  const held = {};
  const tx = current.transaction(stores);
  for (const store of stores) held[store] = await request(tx.objectStore(store).getAll());
  current.close();
  await request(indexedDB.deleteDatabase(name));
  const open = indexedDB.open(name, 2);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore("identity", { keyPath: "id" });
    db.createObjectStore("friends", { keyPath: "handle" });
    db.createObjectStore("events", { keyPath: "id" }).createIndex("wall", "wall");
    db.createObjectStore("outbox", { keyPath: "id" });
    db.createObjectStore("meta", { keyPath: "key" });
    db.createObjectStore("blobs", { keyPath: "hash" });
    for (const store of stores) for (const record of held[store]) open.transaction.objectStore(store).put(record);
  };
  const old = await request(open);
  window.oldBuild = old;
  return { version: old.version, events: held.events.length };
}"""

DB_VERSION_NOW = """(name) => new Promise((resolve, reject) => {
  const open = indexedDB.open(name);
  open.onsuccess = () => { resolve(open.result.version); open.result.close(); };
  open.onerror = () => reject(open.error);
})"""

# A newer build, in another tab: opens the database at the next version. ``blocked`` says whether
# it had to wait for a connection that did not let go.
OPEN_NEWER_VERSION = """async ([name, version]) => {
  let blocked = false;
  const open = indexedDB.open(name, version);
  open.onblocked = () => { blocked = true; };
  open.onupgradeneeded = () => { open.result.createObjectStore("newer"); };
  const db = await new Promise((resolve, reject) => {
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
    // A connection that never lets go would keep this page waiting for good.
    setTimeout(() => resolve(null), 5000);
  });
  db?.close();
  return { blocked, version: db ? db.version : null };
}"""


def test_an_upgrade_blocked_by_an_old_tab_waits_says_so_and_goes_on(
    sign_up, live_server_url: str, browser_log: BrowserLog
):
    """An old build holds the database at version 2 in another tab: the app waits, says why, then goes on.

    Proves: /app/ loaded while another page holds the database open at an older version (and
    ignores versionchange, as an old build would) shows "Peerwall is waiting for another tab",
    saying to close or reload the other tabs, and no wall; it stays waiting while the old
    connection is held; once that page closes its connection, the app upgrades the database by
    itself (no reload) and shows the wall with the post written before, and goes online.
    """
    alice = sign_up("alice")
    text = "Written before the update"
    post(alice.page, alice.handle, text)

    # The app's own tab goes away (its connection and its Web Lock with it); an old build takes its place.
    old = alice.page
    old.goto(f"{live_server_url}/healthz")
    held = old.evaluate(HOLD_OLD_VERSION, db_name(alice.handle))
    assert held == {"version": 2, "events": 1}, held

    page = alice.context.new_page()
    page.goto(app_url(live_server_url))
    card = notice(page, "Peerwall is waiting for another tab")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Close or reload the other Peerwall tabs; this tab goes on by itself")
    expect_no_app(page)
    shot = screenshot(page, "test_faults_at_start-upgrade-blocked")
    print(f"screenshot: {shot}")
    # Still waiting, not failed: the old connection is held.
    page.wait_for_timeout(1_000)
    expect(card).to_be_visible()
    assert old.evaluate("() => window.oldBuild.version") == 2

    old.evaluate("() => window.oldBuild.close()")
    expect(page.get_by_role("heading", name=f"@{alice.handle}", exact=True)).to_be_visible()
    expect(card).to_have_count(0)
    expect(post_article(page, alice.handle, text)).to_be_visible()
    expect_online(page)
    after = "Written after the update"
    post(page, alice.handle, after)
    assert page.evaluate(DB_VERSION_NOW, db_name(alice.handle)) == DB_VERSION

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_newer_version_elsewhere_makes_the_tab_let_go_and_stop(
    sign_up, live_server_url: str, browser_log: BrowserLog
):
    """A newer build opens the database in another tab: the live tab lets go at once and stops.

    Proves: a raw ``indexedDB.open(name, 4)`` in another page of the same browser is never
    blocked (the app closed its connection on versionchange) and upgrades the database; the app's
    tab then shows "Peerwall stopped in this tab" with the words and a Reload button, and no wall
    or composer; its engine and broker link are stopped, so a friend sees it go offline.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    befriend(alice, bob)
    open_wall(alice.page, alice.handle, me=alice.handle)

    newer = alice.context.new_page()
    newer.goto(f"{live_server_url}/healthz")
    opened = newer.evaluate(OPEN_NEWER_VERSION, [db_name(alice.handle), DB_VERSION + 1])
    assert opened == {"blocked": False, "version": DB_VERSION + 1}, opened

    card = notice(alice.page, "Peerwall stopped in this tab")
    expect(card).to_be_visible()
    expect(card).to_contain_text("A newer version of Peerwall opened in another tab")
    expect(card).to_contain_text("Reload this tab to go on here.")
    expect(card.get_by_role("button", name="Reload", exact=True)).to_be_visible()
    expect_no_app(alice.page)
    shot = screenshot(alice.page, "test_faults_at_start-newer-version-elsewhere")
    print(f"screenshot: {shot}")

    expect_friend(bob.page, alice.handle, online=False)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 3. the broker unreachable -----------------------------------------------------------------


def test_the_wall_opens_without_the_broker_and_reconnects_by_itself(sign_up, browser_log: BrowserLog):
    """alice reloads while the server's /api/ice and signaling socket cannot be reached.

    Proves: the app still opens on her wall with her posts (read from this browser), and its
    status says plainly that it cannot reach the Peerwall server, that what is shown is kept in
    this browser, and that it keeps trying; when /api/ice comes back but the socket still fails,
    it still says so; when both come back, it is Online again by itself, without a reload.
    """
    # The aborted /api/ice, as Chromium reports it (a socket closed by the route logs nothing).
    browser_log.expect_error(r"Failed to load resource: net::ERR_CONNECTION_FAILED")
    alice = sign_up("alice")
    page = alice.page
    texts = ["First, kept in this browser", "Second, kept too", "Third, also here"]
    for text in texts:
        post(page, alice.handle, text)
    expect_online(page)

    blocked = {"ice": True, "socket": True}
    sockets: list[str] = []

    def ice(route: Route) -> None:
        if blocked["ice"]:
            route.abort("connectionfailed")
        else:
            route.fallback()

    def socket(ws: WebSocketRoute) -> None:
        sockets.append(ws.url)
        if blocked["socket"]:
            ws.close(code=1006, reason="unreachable")
        else:
            ws.connect_to_server()

    alice.context.route("**/api/ice", ice)
    alice.context.route_web_socket(re.compile(r"/peerjs\?"), socket)

    page.reload()
    expect(page.get_by_role("heading", name=f"@{alice.handle}", exact=True)).to_be_visible()
    for text in texts:
        expect(post_article(page, alice.handle, text)).to_be_visible()
    why = broker_words(page)
    expect(why).to_be_visible(timeout=PEER_MS)
    expect(why).to_contain_text("What you see is kept in this browser")
    expect(why).to_contain_text("It keeps trying by itself.")
    expect(connection_status(page)).to_have_text(re.compile(r"^Offline — retrying"))
    shot = screenshot(page, "test_faults_at_start-broker-unreachable")
    print(f"screenshot: {shot}")
    assert sockets == [], "the socket was tried although /api/ice failed"

    # The page is served and /api/ice answers, but the signaling socket still fails (a proxy
    # that does not pass WebSocket upgrades): still the same plain words.
    blocked["ice"] = False
    deadline = time.monotonic() + RETRY_S
    while not sockets and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert sockets, f"no signaling socket was tried within {RETRY_S} s of /api/ice coming back"
    page.wait_for_timeout(300)
    expect(why).to_be_visible()
    expect(connection_status(page)).not_to_have_text("Online")

    blocked["socket"] = False
    expect_online(page, timeout=RETRY_S * 1000)
    expect(why).to_have_count(0)
    expect(wall(page, alice.handle).locator("article")).to_have_count(len(texts))

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
