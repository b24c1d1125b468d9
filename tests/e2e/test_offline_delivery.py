"""Writing on a friend's wall while they are offline: the outbox holds it until they are back.

alice and carol are both friends of bob (not of each other). bob closes his pages; they each
post on his wall, which shows "pending" on their side; bob comes back and the posts arrive,
after which alice and carol see "delivered".
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.harness import BrowserLog, screenshot
from tests.e2e.ui import (
    PEER_MS,
    befriend,
    come_online,
    expect_friend,
    expect_online,
    go,
    go_offline,
    open_wall,
    post,
    post_article,
    wall,
)


def test_posts_for_an_offline_friend_are_delivered_when_he_is_back(sign_up, live_server_url, browser_log: BrowserLog):
    """Posts written on an offline friend's wall wait as "pending", survive a reload, and arrive later.

    Proves: the outbox accepts writes for a friend who is offline and shows them as pending
    (also in Settings); a pending write is durable (still pending after the writer reloads);
    when the wall's owner comes back, every friend's pending posts reach his wall, the writers
    see them as delivered, and his other friends receive them from him too.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    carol = sign_up("carol")
    for user in (alice, bob, carol):
        expect_online(user.page)
    befriend(alice, bob)
    befriend(carol, bob)
    name = "test_offline_delivery"

    go_offline(bob)
    expect_friend(alice.page, bob.handle, online=False)
    expect_friend(carol.page, bob.handle, online=False)

    from_alice = "Happy birthday bob! (written while you were away)"
    from_carol = "See you on Saturday, bob"
    open_wall(alice.page, bob.handle)
    alices = post(alice.page, bob.handle, from_alice)
    expect(alices).to_contain_text(f"@{alice.handle}")
    expect(alices).to_contain_text("pending")
    open_wall(carol.page, bob.handle)
    carols = post(carol.page, bob.handle, from_carol)
    expect(carols).to_contain_text("pending")
    screenshot(alice.page, f"{name}-alice-on-bobs-wall-pending")

    # Settings counts what waits in the outbox.
    go(alice.page, "/settings")
    expect(alice.page.get_by_text(re.compile(r"^1 item waiting to be delivered"))).to_be_visible()

    # A pending post is on disk: it is still there, still pending, after alice reloads.
    alice.page.reload()
    expect_online(alice.page)
    open_wall(alice.page, bob.handle)
    expect(post_article(alice.page, bob.handle, from_alice)).to_contain_text("pending")

    come_online(bob, live_server_url)
    on_bobs = wall(bob.page, bob.handle)
    expect(on_bobs.locator("article").filter(has_text=from_alice)).to_be_visible(timeout=PEER_MS)
    expect(on_bobs.locator("article").filter(has_text=from_carol)).to_be_visible(timeout=PEER_MS)
    expect(on_bobs.locator("article").filter(has_text=from_alice)).to_contain_text(f"@{alice.handle}")
    expect(on_bobs.locator("article").filter(has_text=from_carol)).to_contain_text(f"@{carol.handle}")
    expect(on_bobs.locator("article")).to_have_count(2)
    expect(on_bobs.locator("article").filter(has_text="pending")).to_have_count(0)
    screenshot(bob.page, f"{name}-bob-wall-after-coming-back")

    for user, text in ((alice, from_alice), (carol, from_carol)):
        article = post_article(user.page, bob.handle, text)
        expect(article).to_contain_text("delivered", timeout=PEER_MS)
        expect(article).not_to_contain_text("pending")
    screenshot(carol.page, f"{name}-carol-on-bobs-wall-delivered")

    # carol (not alice's friend) gets alice's post from bob, its owner, and vice versa.
    expect(post_article(carol.page, bob.handle, from_alice)).to_be_visible(timeout=PEER_MS)
    expect(post_article(alice.page, bob.handle, from_carol)).to_be_visible(timeout=PEER_MS)

    go(alice.page, "/settings")
    expect(alice.page.get_by_text("Everything you wrote on friends' walls has been delivered.")).to_be_visible()

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
