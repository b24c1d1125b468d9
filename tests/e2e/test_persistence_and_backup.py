"""The browser is the database: walls survive a reload and a browser restart, and a backup moves them.

A reload is ``page.reload()`` in the same context. A browser restart uses a persistent profile
(``launch_persistent_context`` on a user-data directory): the whole browser is closed and launched
again on the same directory. The backup is the Settings page's Export backup / Import backup,
imported into a brand-new browser context where the same person logs in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Browser, Playwright, expect

from tests.e2e import harness
from tests.e2e.harness import PASSWORD, BrowserLog, User, screenshot, unique_handle
from tests.e2e.ui import (
    PEER_MS,
    befriend,
    comment,
    expect_friend,
    expect_online,
    export_backup,
    friends_panel,
    go,
    go_offline,
    import_backup,
    import_backup_at_setup,
    open_wall,
    post,
    post_article,
    wall,
)


def test_everything_is_still_there_after_a_reload(sign_up, live_server_url, browser_log: BrowserLog):
    """alice's wall, a friend's comment and like, her post on his wall and the friendship survive a reload.

    Proves: what the app shows is read back from IndexedDB on load (posts, comments, likes,
    delivered posts on a friend's wall, friends), and after the reload the friend link comes
    back up by itself.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    befriend(alice, bob)

    open_wall(alice.page, alice.handle, me=alice.handle)
    first = "First post, to be kept"
    second = "Second post, also kept"
    post(alice.page, alice.handle, first)
    post(alice.page, alice.handle, second)

    open_wall(bob.page, alice.handle)
    on_bob = post_article(bob.page, alice.handle, first)
    expect(on_bob).to_be_visible(timeout=PEER_MS)
    comment(on_bob, "bob's comment, kept too")
    on_bob.get_by_role("button", name="Like", exact=True).click()

    open_wall(alice.page, bob.handle)
    on_bobs_wall = post(alice.page, bob.handle, "alice on bob's wall")
    expect(on_bobs_wall).to_contain_text("delivered", timeout=PEER_MS)

    open_wall(alice.page, alice.handle, me=alice.handle)
    mine = post_article(alice.page, alice.handle, first)
    expect(mine.locator("li").filter(has_text="bob's comment, kept too")).to_be_visible(timeout=PEER_MS)
    expect(mine).to_contain_text(f"@{bob.handle} likes this", timeout=PEER_MS)

    alice.page.reload()
    expect(alice.page.get_by_role("heading", name=f"@{alice.handle}", exact=True)).to_be_visible()
    expect_online(alice.page)
    region = wall(alice.page, alice.handle)
    expect(region.locator("article")).to_have_count(2)
    mine = post_article(alice.page, alice.handle, first)
    expect(mine.locator("li").filter(has_text="bob's comment, kept too")).to_contain_text(f"@{bob.handle}")
    expect(mine).to_contain_text(f"@{bob.handle} likes this")
    expect(post_article(alice.page, alice.handle, second)).to_be_visible()
    screenshot(alice.page, "test_persistence-alice-wall-after-reload")

    open_wall(alice.page, bob.handle)
    expect(post_article(alice.page, bob.handle, "alice on bob's wall")).to_contain_text("delivered")
    expect_friend(alice.page, bob.handle, online=True)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_still_logged_in_with_the_same_wall_after_a_browser_restart(
    playwright: Playwright, chromium_executable: str, live_server_url: str, tmp_path: Path, browser_log: BrowserLog
):
    """Close the whole browser and launch it again on the same profile: session and wall are there.

    Proves: the log-in survives a browser restart (allauth's remembered session cookie), and so
    does the IndexedDB store with the posts and the key, so the app opens on the same wall
    without asking anything.
    """
    profile = tmp_path / "profile"
    handle = unique_handle("dave")
    texts = ["Written before the browser closed", "And a second one"]

    context = harness.launch_persistent_chromium(playwright, profile)
    try:
        browser_log.watch_context(context, f"dave @{handle} (first run)")
        page = harness.sign_up(context, live_server_url, handle, PASSWORD, page=context.pages[0])
        expect_online(page)
        for text in texts:
            post(page, handle, text)
        go(page, "/settings")
        key = page.locator("code.key").inner_text()
    finally:
        context.close()

    context = harness.launch_persistent_chromium(playwright, profile)
    try:
        browser_log.watch_context(context, f"dave @{handle} (after restart)")
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{live_server_url}/app/")
        expect(page).to_have_url(re.compile(r"/app/"))
        expect(page.get_by_role("heading", name=f"@{handle}", exact=True)).to_be_visible()
        expect_online(page)
        for text in texts:
            expect(post_article(page, handle, text)).to_be_visible()
        expect(wall(page, handle).locator("article")).to_have_count(2)
        screenshot(page, "test_persistence-dave-after-browser-restart")
        go(page, "/settings")
        expect(page.locator("code.key")).to_have_text(key)
    finally:
        context.close()

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_backup_restores_wall_friends_and_key_in_a_new_browser(
    sign_up, browser: Browser, live_server_url: str, tmp_path: Path, browser_log: BrowserLog
):
    """alice exports a backup, logs in from a brand-new context, imports it: all of her is back.

    Proves: the export is one JSON file with her key, events and friends; importing it into a
    new browser (where the log-in asks how to set up, and she takes Import backup) restores her
    wall, her friend and her key, so bob's pinned key still matches (no "key changed" on his
    side) and they sync both ways again; importing the same file a second time adds nothing.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    befriend(alice, bob)

    open_wall(alice.page, alice.handle, me=alice.handle)
    hers = "alice's post before the backup"
    post(alice.page, alice.handle, hers)
    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, hers)).to_be_visible(timeout=PEER_MS)
    his = "bob's post on alice's wall before the backup"
    expect(post(bob.page, alice.handle, his)).to_contain_text("delivered", timeout=PEER_MS)
    expect(post_article(alice.page, alice.handle, his)).to_be_visible(timeout=PEER_MS)

    go(alice.page, "/settings")
    key = alice.page.locator("code.key").inner_text()
    backup = export_backup(alice.page, tmp_path)
    screenshot(alice.page, "test_backup-alice-settings-after-export")
    data = json.loads(backup.read_text())
    assert data["format"] == "peerwall-backup"
    assert data["handle"] == alice.handle
    assert data["identity"]["publicKey"] == key
    assert {e["body"].get("text") for e in data["events"] if e["kind"] == "post"} == {hers, his}
    assert [(f["handle"], f["state"]) for f in data["friends"]] == [(bob.handle, "accepted")]

    # alice's old browser goes away; she logs in from a new one, which starts empty.
    go_offline(alice)
    expect_friend(bob.page, alice.handle, online=False)
    context = browser.new_context()
    try:
        context.set_default_timeout(harness.TIMEOUT_MS)
        browser_log.watch_context(context, f"alice @{alice.handle} (new browser)")
        page = harness.log_in(context.new_page(), live_server_url, alice.handle, setup=True)
        new_alice = User(alice.handle, alice.password, context, page)
        expect(page.get_by_role("textbox", name="New post")).to_have_count(0)

        said = import_backup_at_setup(page, backup, alice.handle)
        assert re.match(r"Imported 2 events and 1 friends\.", said), said
        expect_online(page)
        go(page, "/settings")
        screenshot(page, "test_backup-alice-settings-after-import")
        expect(page.locator("code.key")).to_have_text(key)

        expect_friend(page, bob.handle, online=True)
        expect_friend(bob.page, alice.handle, online=True)
        go(bob.page, "/friends")
        expect(friends_panel(bob.page).get_by_text("key changed")).to_have_count(0)
        expect(friends_panel(bob.page).get_by_role("button", name="Confirm new key")).to_have_count(0)

        open_wall(page, alice.handle, me=alice.handle)
        expect(post_article(page, alice.handle, hers)).to_be_visible()
        expect(post_article(page, alice.handle, his)).to_contain_text(f"@{bob.handle}")

        # They sync both ways again.
        after = "alice again, from her new browser"
        post(page, alice.handle, after)
        open_wall(bob.page, alice.handle)
        expect(post_article(bob.page, alice.handle, after)).to_be_visible(timeout=PEER_MS)
        welcome = "welcome back, alice"
        expect(post(bob.page, alice.handle, welcome)).to_contain_text("delivered", timeout=PEER_MS)
        expect(post_article(page, alice.handle, welcome)).to_be_visible(timeout=PEER_MS)
        screenshot(page, "test_backup-alice-wall-restored")
        articles = wall(page, alice.handle).locator("article")
        expect(articles).to_have_count(4)

        # The same file once more: nothing new, nothing twice.
        said = import_backup(page, backup)
        assert re.fullmatch(r"Imported 0 events and 0 friends\. Reloading…", said), said
        open_wall(page, alice.handle, me=alice.handle)
        expect_online(page)
        expect(articles).to_have_count(4)
        for text in (hers, his, after, welcome):
            expect(post_article(page, alice.handle, text)).to_have_count(1)
        expect_friend(new_alice.page, bob.handle, online=True)
        go(page, "/friends")
        expect(friends_panel(page).get_by_role("link", name=f"@{bob.handle}", exact=True)).to_have_count(1)
    finally:
        context.close()

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
