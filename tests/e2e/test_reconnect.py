"""The app reconnects by itself, with backoff, when its server goes away and comes back."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e import ui
from tests.e2e.harness import TIMEOUT_MS, LiveServer, User, sign_up, unique_handle


def test_the_app_reconnects_after_a_server_restart(browser: Browser, tmp_path, browser_log):
    """Proves: the connection state says when the server is gone and that it is retrying; when
    the server is back (same address, same accounts), the app is online again on its own, and
    two friends reconnect to each other without anyone reloading."""
    # While the server is down, the app's reconnection attempts fail, and Chromium says so.
    browser_log.expect_error(r"net::ERR_CONNECTION_REFUSED")
    server = LiveServer.start(tmp_path / "server")
    port = int(server.url.rsplit(":", 1)[1])
    contexts = []
    try:
        users = []
        for name in ("alice", "bob"):
            context = browser.new_context()
            context.set_default_timeout(TIMEOUT_MS)
            contexts.append(context)
            handle = unique_handle(name)
            browser_log.watch_context(context, f"{name} @{handle}")
            users.append(User(handle, "", context, sign_up(context, server.url, handle)))
        alice, bob = users
        ui.befriend(alice, bob)

        server.stop()
        for user in users:
            expect(ui.connection_status(user.page)).to_have_text(re.compile(r"^Offline — retrying"), timeout=TIMEOUT_MS)

        server = LiveServer.start(tmp_path / "server", port=port)
        for user in users:
            ui.expect_online(user.page, timeout=45_000)
        ui.expect_friend(alice.page, bob.handle, timeout=45_000)
        ui.open_wall(alice.page, alice.handle, me=alice.handle)
        ui.post(alice.page, alice.handle, "Back after the restart")
        ui.open_wall(bob.page, alice.handle, me=bob.handle)
        expect(ui.post_article(bob.page, alice.handle, "Back after the restart")).to_be_visible(timeout=ui.PEER_MS)
    finally:
        for context in contexts:
            context.close()
        server.stop()
