"""Notifications: what friends do that concerns me, counted in the navigation and listed newest first.

Three people in their own browser contexts: bob and carol become alice's friends, then write on
her wall and her post. alice's navigation link carries the count of unseen notices in its
accessible name ("Notifications (3)"); the view #/notifications lists one line per notice and
marks them seen, which a reload keeps. Desktop notifications are checked through a recorder put
in place of ``window.Notification`` before the app runs, with ``document.hidden`` under the
test's control: the browser shows nothing here, so what the app asked to show is what counts.
"""

from __future__ import annotations

import time

from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import BrowserLog, User, screenshot
from tests.e2e.ui import (
    PEER_MS,
    accept_request,
    add_friend,
    befriend,
    comment,
    expect_friend,
    expect_online,
    go,
    open_wall,
    post,
    post_article,
)

# How long a notice may take once what it is about reached alice's browser.
NOTICE_MS = 5_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def notifications_link(page: Page, unseen: int = 0) -> Locator:
    name = f"Notifications ({unseen})" if unseen else "Notifications"
    return page.get_by_role("navigation", name="Peerwall").get_by_role("link", name=name, exact=True)


def notice_list(page: Page) -> Locator:
    return page.get_by_role("list", name="Notifications, newest first", exact=True)


def notice_lines(page: Page) -> Locator:
    """The sentence of each notice, newest first (each is a link to where it happened)."""
    return notice_list(page).get_by_role("listitem").get_by_role("link")


def test_notices_are_counted_listed_newest_first_and_stay_seen(sign_up, live_server_url, browser_log: BrowserLog):
    """alice is told of a friend request, an accepted request, a post on her wall, a comment and a like.

    Proves: each notice reaches alice's navigation link ("Notifications (n)") within 5 s of what
    it is about reaching her browser (the friend request within 5 s of bob asking); the view
    lists one sentence per notice naming who did what, newest first, the unseen ones marked
    "new"; opening it brings the link back to "Notifications"; after a reload the list is all
    still there and still seen; the view is laid out well at desktop and phone widths.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    carol = sign_up("carol")
    for user in (alice, bob, carol):
        expect_online(user.page)
    expect(notifications_link(alice.page)).to_be_visible()

    # A friend request: counted within 5 s of bob asking, and listed.
    asked = time.monotonic()
    add_friend(bob.page, alice.handle)
    expect(notifications_link(alice.page, 1)).to_be_visible(timeout=NOTICE_MS)
    assert time.monotonic() - asked < NOTICE_MS / 1000 + 1
    go(alice.page, "/notifications")
    expect(notice_lines(alice.page)).to_have_text([f"@{bob.handle} wants to be friends"])
    expect(notice_list(alice.page).get_by_role("listitem").first).to_contain_text("new")
    expect(notifications_link(alice.page)).to_be_visible()  # seen, now the view is open
    accept_request(alice.page, bob.handle)
    expect_friend(alice.page, bob.handle)
    expect_friend(bob.page, alice.handle)

    # alice asks carol, who says yes.
    add_friend(alice.page, carol.handle)
    accept_request(carol.page, alice.handle)
    expect_friend(alice.page, carol.handle)
    expect(notifications_link(alice.page, 1)).to_be_visible(timeout=NOTICE_MS)

    # bob posts on alice's wall; she is on her wall and sees it arrive, then the count.
    mine = post(open_wall(alice.page, alice.handle, me=alice.handle).page, alice.handle, "Hello from alice")
    open_wall(bob.page, alice.handle)
    bobs_text = "bob was here"
    post(bob.page, alice.handle, bobs_text)
    expect(post_article(alice.page, alice.handle, bobs_text)).to_be_visible(timeout=PEER_MS)
    expect(notifications_link(alice.page, 2)).to_be_visible(timeout=NOTICE_MS)

    # carol comments on alice's post.
    open_wall(carol.page, alice.handle)
    on_carol = post_article(carol.page, alice.handle, "Hello from alice")
    expect(on_carol).to_be_visible(timeout=PEER_MS)
    comment(on_carol, "Nice one, alice")
    expect(mine.locator("li").filter(has_text="Nice one, alice")).to_be_visible(timeout=PEER_MS)
    expect(notifications_link(alice.page, 3)).to_be_visible(timeout=NOTICE_MS)

    # bob likes alice's post.
    on_bob = post_article(bob.page, alice.handle, "Hello from alice")
    expect(on_bob).to_be_visible(timeout=PEER_MS)
    on_bob.get_by_role("button", name="Like", exact=True).click()
    expect(mine).to_contain_text(f"@{bob.handle} likes this", timeout=PEER_MS)
    expect(notifications_link(alice.page, 4)).to_be_visible(timeout=NOTICE_MS)

    # Newest first; the four alice had not seen are marked new; opening the view saw them.
    expected = [
        f"@{bob.handle} liked your post",
        f"@{carol.handle} commented on your post",
        f"@{bob.handle} posted on your wall",
        f"@{carol.handle} accepted your friend request",
        f"@{bob.handle} wants to be friends",
    ]
    go(alice.page, "/notifications")
    expect(notice_lines(alice.page)).to_have_text(expected)
    items = notice_list(alice.page).get_by_role("listitem")
    for i in range(4):
        expect(items.nth(i)).to_contain_text("new")
    expect(items.nth(4)).not_to_contain_text("new")
    expect(notifications_link(alice.page)).to_be_visible()
    expect(notifications_link(alice.page)).to_have_attribute("aria-current", "page")

    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        alice.page.set_viewport_size(size)
        expect(notice_lines(alice.page)).to_have_count(5)
        screenshot(alice.page, f"test_notifications-{name}")
        # Nothing sticks out sideways, not even on a phone.
        overflow = alice.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the {name} page is {overflow} px wider than the screen"
    alice.page.set_viewport_size(DESKTOP)

    # A reload: the same list, all seen.
    alice.page.reload()
    expect_online(alice.page)
    expect(notice_lines(alice.page)).to_have_text(expected)
    expect(notice_list(alice.page)).not_to_contain_text("new")
    expect(notifications_link(alice.page)).to_be_visible()
    go(alice.page, "/")
    expect(notifications_link(alice.page)).to_be_visible()

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# Installed before the app runs: window.Notification records what it is asked to show (keeping
# the browser's permission and requestPermission), and document.hidden says what __hide() set.
NOTIFICATION_RECORDER = """
(() => {
  const Real = window.Notification;
  const made = (window.__notifications = []);
  let hidden = false;
  window.__hide = (yes) => {
    hidden = yes;
    document.dispatchEvent(new Event("visibilitychange"));
  };
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => hidden });
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true, get: () => (hidden ? "hidden" : "visible"),
  });
  class Recorder extends EventTarget {
    constructor(title, options = {}) {
      super();
      made.push({ title, ...options });
    }
    close() {}
    static get permission() { return Real.permission; }
    static requestPermission(...args) { return Real.requestPermission(...args); }
  }
  window.Notification = Recorder;
})();
"""

SWITCH = "Desktop notifications while Peerwall is in the background"


def made_notifications(page: Page) -> list[dict]:
    return page.evaluate("() => window.__notifications")


def bob_posts(alice: User, bob: User, text: str, unseen: int) -> None:
    """bob posts ``text`` on alice's wall; returns once alice's count says she has it."""
    post(bob.page, alice.handle, text)
    expect(notifications_link(alice.page, unseen)).to_be_visible(timeout=PEER_MS)


def test_desktop_notifications_only_when_wanted_and_in_the_background(sign_up, browser_log: BrowserLog):
    """A desktop notification says who did what, once, only while the tab is hidden and the switch is on.

    Proves: with the switch off nothing is shown even in the background; with it on, a post on
    alice's wall while her page is visible shows nothing (the count in the navigation says it
    arrived); while the page is hidden it makes exactly one notification, titled "Peerwall",
    whose body is "@bob posted on your wall" and carries nothing of the post's text; turned off
    again, nothing more.
    """
    alice = sign_up("alice", permissions=["notifications"])
    alice.context.add_init_script(script=NOTIFICATION_RECORDER)
    alice.page.reload()
    bob = sign_up("bob")
    expect_online(alice.page)
    expect_online(bob.page)
    assert alice.page.evaluate("() => Notification.permission") == "granted"
    befriend(alice, bob)
    open_wall(bob.page, alice.handle)
    go(alice.page, "/notifications")  # "@bob accepted your friend request", seen
    expect(notifications_link(alice.page)).to_be_visible()
    go(alice.page, "/settings")
    switch = alice.page.get_by_role("checkbox", name=SWITCH, exact=True)
    expect(switch).not_to_be_checked()

    # Off, in the background: nothing.
    alice.page.evaluate("() => window.__hide(true)")
    assert alice.page.evaluate("() => document.hidden") is True
    bob_posts(alice, bob, "first, while the switch is off", 1)
    alice.page.wait_for_timeout(300)  # the notifier runs on the render after the count's
    assert made_notifications(alice.page) == []

    # On, in the foreground: nothing.
    alice.page.evaluate("() => window.__hide(false)")
    switch.check()
    expect(switch).to_be_checked()
    bob_posts(alice, bob, "second, while alice looks", 2)
    alice.page.wait_for_timeout(300)
    assert made_notifications(alice.page) == []

    # On, in the background: one, saying who did what and nothing of what was written.
    secret = "the third one, a secret for alice only"
    alice.page.evaluate("() => window.__hide(true)")
    bob_posts(alice, bob, secret, 3)
    alice.page.wait_for_function("() => window.__notifications.length > 0", timeout=NOTICE_MS)
    alice.page.wait_for_timeout(300)
    made = made_notifications(alice.page)
    assert len(made) == 1, made
    assert made[0]["title"] == "Peerwall", made
    assert made[0]["body"] == f"@{bob.handle} posted on your wall", made
    assert "secret" not in str(made) and "third" not in str(made), made

    # Off again (and the page still hidden): nothing more.
    alice.page.evaluate("() => window.__hide(false)")
    switch.uncheck()
    expect(switch).not_to_be_checked()
    alice.page.evaluate("() => window.__hide(true)")
    bob_posts(alice, bob, "fourth, the switch off again", 4)
    alice.page.wait_for_timeout(300)
    assert len(made_notifications(alice.page)) == 1

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
