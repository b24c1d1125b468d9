"""Store and forward: alice and bob are never online together, and carol, a friend of both, carries.

alice, bob and carol are friends of each other. Each signs a friend list onto their own wall
about a second after their friends change; a carrier goes by the wall owner's list (carol hands
on writes for alice's wall, and alice's wall itself, only to those alice's list names), so the
test first waits until bob and carol hold alice's list naming both of them, read from the
backups they export through Settings (every event a browser holds).

Then the three are never all online: bob writes on alice's wall while she is away and carol
takes it (her Settings say what she carries); alice, back while bob is away, gets it from carol;
alice's own post reaches bob through carol, marked "via @carol", and with it bob learns that his
post is on her wall; once alice and bob meet, she confirms what carol brought and the mark goes.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import BrowserLog, User, screenshot
from tests.e2e.ui import (
    DESKTOP,
    PEER_MS,
    befriend,
    come_online,
    expect_friend,
    expect_online,
    export_backup,
    go,
    go_offline,
    open_wall,
    post,
    post_article,
    wall,
)

# How long a page is left alone for whatever was under way to show: a change lands in the views
# well within a second.
QUIET_MS = 4_000


def carrying_card(page: Page) -> Locator:
    """Settings' "Carrying for friends" card (route ``#/settings``)."""
    heading = page.get_by_role("heading", name="Carrying for friends", level=2, exact=True)
    return page.locator(".settings-card").filter(has=heading)


def via_marks(page: Page, owner: str) -> Locator:
    """Every "via @…" mark on ``@owner``'s wall."""
    return wall(page, owner).get_by_text(re.compile(r"^via @"))


def friend_list(user: User, directory: Path, owner: str) -> set[str]:
    """The latest friend list of ``owner`` that ``user``'s browser holds, read from a backup it exports."""
    directory.mkdir(parents=True, exist_ok=True)
    data = json.loads(export_backup(user.page, directory).read_text())
    lists = [e for e in data["events"] if e["kind"] == "friends" and e["wall"].lower() == owner.lower()]
    if not lists:
        return set()
    latest = max(lists, key=lambda e: e.get("seq", 0))
    return {handle.lower() for handle in latest["body"]["friends"]}


def wait_for_friend_list(user: User, directory: Path, owner: str, names: set[str], timeout_ms: int = PEER_MS) -> None:
    """Waits until ``user`` holds ``owner``'s signed friend list naming everyone in ``names``."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        held = friend_list(user, directory, owner)
        if names <= held:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"@{user.handle} holds @{owner}'s list {sorted(held)}, not naming {sorted(names)}")
        user.page.wait_for_timeout(500)


def test_carol_carries_between_alice_and_bob_who_are_never_online_together(
    sign_up, live_server_url, tmp_path: Path, browser_log: BrowserLog
):
    """bob's post for alice's wall and alice's own post travel through carol alone.

    Proves: with alice away, bob's post on her wall shows "pending" for him, and carol, who
    holds alice's signed friend list naming bob, takes it: her Settings → "Carrying for
    friends" says she carries 1 post, comment or like, 1 item of bob's; with bob away and
    alice back, alice gets the post from carol, on her own wall under bob's name, and carol
    carries nothing any more; alice's next post reaches carol, and with alice away and bob
    back, bob gets it from carol, on alice's wall, marked "via @carol", while his own post
    there turns from "pending" to "delivered" (carol served alice's wall, in which alice had
    placed it); once alice and bob meet, the "via @carol" mark goes.
    """
    alice = sign_up("alice", **DESKTOP)
    bob = sign_up("bob", **DESKTOP)
    carol = sign_up("carol", **DESKTOP)
    for user in (alice, bob, carol):
        expect_online(user.page)
    befriend(alice, bob)
    befriend(alice, carol)
    befriend(bob, carol)
    name = "test_store_and_forward"

    # alice's signed list names bob and carol, and both hold it: carriers go by it.
    for user in (bob, carol):
        wait_for_friend_list(user, tmp_path / user.handle, alice.handle, {bob.handle, carol.handle})

    # carol looks at what she carries: nothing yet.
    go(carol.page, "/settings")
    card = carrying_card(carol.page)
    expect(card).to_contain_text("You carry nothing for your friends right now.")

    # --- bob writes on alice's wall while she is away; carol takes it. -------------------------
    go_offline(alice)
    expect_friend(bob.page, alice.handle, online=False)
    expect_friend(carol.page, alice.handle, online=False)
    # carol keeps Settings open, and her app settles (her link to alice closes) before bob writes:
    # what the card says next, it says because she took bob's post.
    go(carol.page, "/settings")
    carol.page.wait_for_timeout(QUIET_MS)
    expect(card).to_contain_text("You carry nothing for your friends right now.")

    from_bob = "For alice, while she is away: carol will bring it"
    open_wall(bob.page, alice.handle)
    bobs = post(bob.page, alice.handle, from_bob)
    expect(bobs).to_contain_text(f"@{bob.handle}")
    expect(bobs).to_contain_text("pending")
    screenshot(bob.page, f"{name}-bob-on-alices-wall-pending")

    expect(card).to_contain_text(
        re.compile(r"You carry 1 post, comment or like \(\d+(\.\d+)? [KM]B\) for friends to deliver\."), timeout=PEER_MS
    )
    expect(card.locator("li")).to_have_text([re.compile(rf"^@{re.escape(bob.handle)}: 1 item, \d+(\.\d+)? [KM]B$")])
    screenshot(carol.page, f"{name}-carol-carries-bobs-post")

    # --- bob goes away, alice comes back: carol hands bob's post over. -------------------------
    go_offline(bob)
    expect_friend(carol.page, bob.handle, online=False)
    go(carol.page, "/settings")
    come_online(alice, live_server_url)
    on_hers = post_article(alice.page, alice.handle, from_bob)
    expect(on_hers).to_be_visible(timeout=PEER_MS)
    expect(on_hers).to_contain_text(f"@{bob.handle}")
    expect(on_hers).not_to_contain_text("pending")
    screenshot(alice.page, f"{name}-alice-got-bobs-post-from-carol")

    expect(card).to_contain_text("You carry nothing for your friends right now.", timeout=PEER_MS)
    expect(card.locator("li")).to_have_count(0)

    # --- alice posts on her wall; carol holds it when alice leaves. ----------------------------
    from_alice = "alice, for bob, whom she never meets"
    open_wall(alice.page, alice.handle, me=alice.handle)
    post(alice.page, alice.handle, from_alice)
    open_wall(carol.page, alice.handle)
    expect(post_article(carol.page, alice.handle, from_alice)).to_be_visible(timeout=PEER_MS)
    expect(post_article(carol.page, alice.handle, from_bob)).to_be_visible(timeout=PEER_MS)
    go_offline(alice)
    expect_friend(carol.page, alice.handle, online=False)

    # --- bob comes back while alice is away: alice's wall reaches him through carol. -----------
    come_online(bob, live_server_url, f"/wall/{alice.handle}")
    hers = post_article(bob.page, alice.handle, from_alice)
    expect(hers).to_be_visible(timeout=PEER_MS)
    expect(hers).to_contain_text(f"@{alice.handle}")
    via = hers.get_by_text(f"via @{carol.handle}", exact=True)
    expect(via).to_be_visible()
    brought = rf"^@{re.escape(carol.handle)} brought this from @{re.escape(alice.handle)}'s wall"
    expect(via).to_have_attribute("title", re.compile(brought))
    # His own post: alice placed it on her wall, and carol's copy of the wall says so.
    his = post_article(bob.page, alice.handle, from_bob)
    expect(his).to_contain_text("delivered", timeout=PEER_MS)
    expect(his).not_to_contain_text("pending")
    screenshot(bob.page, f"{name}-bob-gets-alices-wall-via-carol")

    go(bob.page, "/settings")
    expect(bob.page.get_by_text("Everything you wrote on friends' walls has been delivered.")).to_be_visible()

    # --- alice and bob meet at last: she confirms what carol brought. --------------------------
    come_online(alice, live_server_url)
    expect_friend(bob.page, alice.handle)
    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, from_alice)).to_be_visible()
    expect(via_marks(bob.page, alice.handle)).to_have_count(0, timeout=PEER_MS)
    screenshot(bob.page, f"{name}-bob-on-alices-wall-confirmed")

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
