"""A person's app over time: a second tab, unfriending, blocking, and a friend who comes back with a new key.

Each user signs up through the real pages in a browser context of their own, and everything
between them travels over WebRTC DataConnections brokered by our server. The tests drive the
app through the accessible names of the UI contract and read what a person would read; where
"nothing reached me" has to be proven, a backup exported through Settings (every event the
browser holds) or a friend who did receive the same thing stands as the witness.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e import harness
from tests.e2e.harness import BrowserLog, User, screenshot
from tests.e2e.ui import (
    PEER_MS,
    accept_request,
    add_friend,
    app_url,
    ask_friend,
    befriend,
    expect_friend,
    expect_online,
    export_backup,
    friend_row,
    friends_panel,
    go,
    go_offline,
    incoming_request,
    open_wall,
    outgoing_request,
    post,
    post_article,
    wall,
)

# How long a frame that should not arrive is given to arrive anyway: a post or a request that
# does reach a friend here shows up well within a second.
QUIET_MS = 4_000

SAFETY_NUMBER = re.compile(r"\d{5}(?: \d{5}){11}")


def blocked_row(page: Page, handle: str) -> Locator:
    """A person under Blocked: named ``@handle``, with an ``Unblock`` button."""
    return (
        friends_panel(page)
        .locator("li")
        .filter(has_text=f"@{handle}")
        .filter(has=page.get_by_role("button", name="Unblock", exact=True))
    )


def public_key(page: Page) -> Locator:
    """The Settings line "Your public key: …"."""
    return page.get_by_text("Your public key:")


def backup_texts(page: Page, directory: Path) -> tuple[set[str], list[tuple[str, str]]]:
    """Exports a backup through Settings: the texts of every post the browser holds, and its friends."""
    data = json.loads(export_backup(page, directory).read_text())
    texts = {e["body"].get("text") for e in data["events"] if e["kind"] == "post"}
    return texts, [(f["handle"], f["state"]) for f in data["friends"]]


def test_a_second_tab_takes_over_and_the_first_steps_aside(sign_up, live_server_url, browser_log: BrowserLog):
    """Only one tab of a browser is live; another offers to take over, and the first then steps aside.

    Proves: /app/ opened in a second tab of the same browser, while the first is live, shows
    "Peerwall is open in another tab" with a Take over button and no wall; Take over makes the
    second tab live (online, on my wall, with the friend link up) and the first tab stops,
    saying it stepped aside, with no wall or composer left; a post from the new tab reaches a
    friend, and a friend's post on my wall reaches the new tab; the first tab stays aside.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    befriend(alice, bob)
    name = "test_take_over"
    first = alice.page

    second = alice.context.new_page()
    second.goto(app_url(live_server_url))
    notice = second.get_by_role("alert")
    expect(notice.get_by_role("heading", name="Peerwall is open in another tab")).to_be_visible()
    take_over = notice.get_by_role("button", name="Take over", exact=True)
    expect(take_over).to_be_visible()
    expect(second.get_by_role("textbox", name="New post")).to_have_count(0)
    expect(second.get_by_role("navigation", name="Peerwall")).to_have_count(0)
    # The first tab carries on meanwhile.
    expect_online(first)
    open_wall(first, alice.handle, me=alice.handle)
    expect(wall(first, alice.handle).get_by_role("textbox", name="New post")).to_be_visible()
    shot = screenshot(second, f"{name}-second-tab-offers-take-over")
    print(f"screenshot: {shot}")

    take_over.click()
    expect(second.get_by_role("heading", name=f"@{alice.handle}", exact=True)).to_be_visible()
    expect_online(second)

    aside = first.get_by_role("alert")
    expect(aside.get_by_role("heading", name="Peerwall is open in another tab")).to_be_visible()
    expect(aside).to_contain_text("This tab stepped aside so that only one tab writes your wall.")
    expect(first.get_by_role("textbox", name="New post")).to_have_count(0)
    expect(first.get_by_role("navigation", name="Peerwall")).to_have_count(0)
    shot = screenshot(first, f"{name}-first-tab-stepped-aside")
    print(f"screenshot: {shot}")

    alice.page = second
    expect_friend(second, bob.handle)
    expect_friend(bob.page, alice.handle)

    open_wall(second, alice.handle, me=alice.handle)
    hello = "Written from alice's second tab"
    post(second, alice.handle, hello)
    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, hello)).to_be_visible(timeout=PEER_MS)

    reply = "bob answers on alice's wall"
    expect(post(bob.page, alice.handle, reply)).to_contain_text("delivered", timeout=PEER_MS)
    open_wall(second, alice.handle, me=alice.handle)
    expect(post_article(second, alice.handle, reply)).to_be_visible(timeout=PEER_MS)

    # Still aside: the old tab neither came back nor took the broker connection back.
    expect(aside).to_contain_text("This tab stepped aside")
    expect_online(second)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_unfriending_parts_both_and_stops_the_wall(sign_up, tmp_path: Path, browser_log: BrowserLog):
    """alice unfriends bob through her friends list: each loses the other, and her next post stays away from him.

    Proves: a friend's row has Unfriend, which asks "Unfriend @bob? …" in place before acting;
    after "Yes, unfriend" bob is gone from alice's list and alice from bob's (he is told over
    the link), her other friend carol stays; bob's app shows alice's wall as not his friend's;
    a post alice writes afterwards reaches carol but never bob's browser (his exported backup
    holds her earlier post, not the later one, and no friendship with her).
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    carol = sign_up("carol")
    befriend(alice, bob)
    befriend(alice, carol)

    open_wall(alice.page, alice.handle, me=alice.handle)
    before = "alice, while bob is still a friend"
    post(alice.page, alice.handle, before)
    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, before)).to_be_visible(timeout=PEER_MS)

    go(alice.page, "/friends")
    row = friend_row(alice.page, bob.handle)
    row.get_by_role("button", name="Unfriend", exact=True).click()
    expect(row).to_contain_text(f"Unfriend @{bob.handle}? You stop seeing each other's walls.")
    screenshot(alice.page, "test_unfriend-alice-asked-to-confirm")
    row.get_by_role("button", name="Yes, unfriend", exact=True).click()
    expect(friend_row(alice.page, bob.handle)).to_have_count(0)
    expect(friends_panel(alice.page).get_by_text(f"@{bob.handle}")).to_have_count(0)
    expect_friend(alice.page, carol.handle)

    go(bob.page, "/friends")
    expect(friend_row(bob.page, alice.handle)).to_have_count(0, timeout=PEER_MS)
    expect(friends_panel(bob.page).get_by_text(f"@{alice.handle}")).to_have_count(0)
    open_wall(bob.page, alice.handle)
    expect(wall(bob.page, alice.handle).get_by_text("Not your friend", exact=True)).to_be_visible()
    expect(wall(bob.page, alice.handle).locator("article")).to_have_count(0)

    open_wall(alice.page, alice.handle, me=alice.handle)
    after = "alice, after unfriending bob"
    post(alice.page, alice.handle, after)
    open_wall(carol.page, alice.handle)
    expect(post_article(carol.page, alice.handle, after)).to_be_visible(timeout=PEER_MS)
    bob.page.wait_for_timeout(QUIET_MS)

    texts, friends = backup_texts(bob.page, tmp_path)
    assert before in texts, texts
    assert after not in texts, texts
    assert friends == [], friends

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_blocked_person_cannot_ask_until_unblocked(sign_up, browser_log: BrowserLog):
    """alice blocks bob; his request does not reach her while he is blocked; after Unblock it does.

    Proves: a friend's row has Block, confirmed in place; bob then appears under Blocked with
    an Unblock button and is no longer a friend on either side; a friend request bob sends
    from his app while blocked never shows up at alice (nor among her notifications); Unblock
    removes him from her list altogether; a request he sends afterwards arrives, and accepting
    it makes them friends again.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    befriend(alice, bob)
    name = "test_block"

    go(alice.page, "/friends")
    row = friend_row(alice.page, bob.handle)
    row.get_by_role("button", name="Block", exact=True).click()
    expect(row).to_contain_text(f"Block @{bob.handle}? They can no longer reach you.")
    row.get_by_role("button", name="Yes, block", exact=True).click()

    panel = friends_panel(alice.page)
    expect(panel.get_by_role("heading", name="Blocked", exact=True)).to_be_visible()
    expect(blocked_row(alice.page, bob.handle)).to_be_visible()
    expect(friend_row(alice.page, bob.handle)).to_have_count(0)
    screenshot(alice.page, f"{name}-alice-blocked-bob")

    go(bob.page, "/friends")
    expect(friend_row(bob.page, alice.handle)).to_have_count(0, timeout=PEER_MS)

    # bob asks again from his app; alice, online all along, hears nothing of it.
    add_friend(bob.page, alice.handle)
    alice.page.wait_for_timeout(QUIET_MS)
    expect(incoming_request(alice.page, bob.handle)).to_have_count(0)
    expect(blocked_row(alice.page, bob.handle)).to_be_visible()
    alice.page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(alice.page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(alice.page.get_by_text(f"@{bob.handle} wants to be friends")).to_have_count(0)

    go(alice.page, "/friends")
    blocked_row(alice.page, bob.handle).get_by_role("button", name="Unblock", exact=True).click()
    expect(blocked_row(alice.page, bob.handle)).to_have_count(0)
    expect(panel.get_by_role("heading", name="Blocked", exact=True)).to_have_count(0)
    expect(panel.get_by_text(f"@{bob.handle}")).to_have_count(0)

    # He does not know he was unblocked; he asks once more, and this time it arrives.
    expect(outgoing_request(bob.page, alice.handle)).to_be_visible()
    add_friend(bob.page, alice.handle)
    expect(incoming_request(alice.page, bob.handle)).to_be_visible(timeout=PEER_MS)
    screenshot(alice.page, f"{name}-alice-request-after-unblock")
    accept_request(alice.page, bob.handle)
    expect_friend(alice.page, bob.handle)
    expect_friend(bob.page, alice.handle)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_changed_key_is_held_back_until_confirmed(
    sign_up, browser: Browser, live_server_url: str, browser_log: BrowserLog
):
    """bob comes back from a new browser without a backup (a new key); alice sees a warning and decides.

    Proves: when bob, logged in from a new browser context, asks alice again, alice's friends
    list shows "@bob's key changed" with a safety number (the same one bob's new browser shows
    for her in Settings) and a Confirm new key button; until she confirms, neither bob's new
    post nor a post of hers crosses between them, although both are online and linked; once
    she confirms, the warning is gone, what each wrote meanwhile arrives at the other (his
    post although his new wall numbers it as his old wall numbered the post alice still
    holds), and new posts flow both ways, his new wall shown above what she kept of the old.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    befriend(alice, bob)
    name = "test_key_change"

    old = "bob, from his first browser"
    open_wall(bob.page, bob.handle, me=bob.handle)
    post(bob.page, bob.handle, old)
    open_wall(alice.page, bob.handle)
    expect(post_article(alice.page, bob.handle, old)).to_be_visible(timeout=PEER_MS)

    go(bob.page, "/settings")
    old_key = public_key(bob.page).inner_text().removeprefix("Your public key:").strip()
    assert old_key
    go_offline(bob)
    expect_friend(alice.page, bob.handle, online=False)

    context = browser.new_context()
    try:
        context.set_default_timeout(harness.TIMEOUT_MS)
        browser_log.watch_context(context, f"bob @{bob.handle} (new browser)")
        page = harness.log_in_fresh(context.new_page(), live_server_url, bob.handle)
        new_bob = User(bob.handle, bob.password, context, page)
        expect_online(page)
        go(page, "/settings")
        expect(public_key(page)).not_to_contain_text(old_key)

        meanwhile_his = "bob, from his new browser"
        open_wall(page, bob.handle, me=bob.handle)
        post(page, bob.handle, meanwhile_his)
        ask_friend(page, alice.handle)  # she still counts him as a friend: she may accept at once

        go(alice.page, "/friends")
        row = friend_row(alice.page, bob.handle)
        warning = row.get_by_text(f"@{bob.handle}'s key changed.")
        expect(warning).to_be_visible(timeout=PEER_MS)
        confirm_key = row.get_by_role("button", name="Confirm new key", exact=True)
        expect(confirm_key).to_be_visible()
        expect(row).to_contain_text(SAFETY_NUMBER)
        shown = SAFETY_NUMBER.search(row.inner_text())
        assert shown is not None
        shot = screenshot(alice.page, f"{name}-alice-sees-key-warning")
        print(f"screenshot: {shot}")

        # alice's "we are friends" reached the new browser: there, she is a friend again.
        expect_friend(page, alice.handle, online=True)
        go(page, "/settings")
        his_number = page.get_by_role("row", name=re.compile(rf"@{alice.handle}\b"))
        expect(his_number).to_contain_text(shown.group(0))

        # Both online and linked, yet nothing crosses while the new key is unconfirmed.
        open_wall(alice.page, alice.handle, me=alice.handle)
        meanwhile_hers = "alice, while bob's new key is unconfirmed"
        post(alice.page, alice.handle, meanwhile_hers)
        alice.page.wait_for_timeout(QUIET_MS)
        open_wall(page, alice.handle)
        expect(post_article(page, alice.handle, meanwhile_hers)).to_have_count(0)
        open_wall(alice.page, bob.handle)
        expect(post_article(alice.page, bob.handle, meanwhile_his)).to_have_count(0)
        expect(post_article(alice.page, bob.handle, old)).to_be_visible()

        go(alice.page, "/friends")
        confirm_key.click()
        expect(warning).to_have_count(0)
        expect(row.get_by_role("button", name="Confirm new key")).to_have_count(0)
        expect_friend(alice.page, bob.handle)

        open_wall(alice.page, bob.handle)
        expect(post_article(alice.page, bob.handle, meanwhile_his)).to_be_visible(timeout=PEER_MS)
        open_wall(page, alice.handle)
        expect(post_article(page, alice.handle, meanwhile_hers)).to_be_visible(timeout=PEER_MS)

        hers = "alice, after confirming bob's new key"
        open_wall(alice.page, alice.handle, me=alice.handle)
        post(alice.page, alice.handle, hers)
        open_wall(page, alice.handle)
        expect(post_article(page, alice.handle, hers)).to_be_visible(timeout=PEER_MS)

        his = "bob, once alice confirmed"
        open_wall(page, bob.handle, me=bob.handle)
        post(page, bob.handle, his)
        open_wall(alice.page, bob.handle)
        expect(post_article(alice.page, bob.handle, his)).to_be_visible(timeout=PEER_MS)
        # Newest first: his new wall, then what alice kept of the old one.
        expect(wall(alice.page, bob.handle).locator("article")).to_contain_text([his, meanwhile_his, old])
        screenshot(alice.page, f"{name}-alice-on-bobs-new-wall")
        expect_friend(new_bob.page, alice.handle)
    finally:
        context.close()

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
