"""Accessibility: axe-core checks every view of Peerwall, at desktop and phone width, light and dark.

axe-core (frontend/node_modules, a devDependency) is injected as a script tag, so every context
here bypasses the CSP (the pages forbid inline script). The views are filled first with what a
person really sees: friends online and offline, a post with a comment and a like, a post pending
in the outbox, a friend request waiting, unseen notifications counted in the navigation. A
violation of impact "serious" or "critical" fails the test; every view is checked before it fails,
so one run names every problem. A screenshot of each view at each width (and in dark mode) is
saved under test-results/screenshots/ for people to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.harness import ROOT, TIMEOUT_MS, BrowserLog, screenshot
from tests.e2e.ui import (
    PEER_MS,
    add_friend,
    befriend,
    comment,
    expect_friend,
    expect_online,
    go,
    go_offline,
    incoming_request,
    open_wall,
    post,
    post_article,
)

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
FAILING = ("serious", "critical")

# Runs in the page: axe's violations, reduced to what a failure message needs. Each node's detail
# is the first thing axe says is wrong there (for colour contrast: the ratio and both colours).
AXE_RUN = """
async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    rule: `${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}`,
    impact: v.impact,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(" "),
      detail: [...n.any, ...n.all, ...n.none].map((check) => check.message).find(Boolean) ?? "",
    })),
  }));
}
"""

# rule -> (target, detail) -> the views (with width and scheme) where axe found it.
Found = dict[str, dict[tuple[str, str], list[str]]]


def axe_violations(page: Page) -> list[dict]:
    """axe's violations on the page as it is now; injects axe first when the page lacks it."""
    # A hash route keeps the document (and axe); a server page is a new document without it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


def check_view(page: Page, view: str, found: Found) -> None:
    """Runs axe on ``view`` at each width and colour scheme; adds what fails to ``found``."""
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            name = f"{view}-{width}" if scheme == "light" else f"{view}-{width}-{scheme}"
            screenshot(page, f"a11y-{name}")
            for violation in axe_violations(page):
                if violation["impact"] in FAILING:
                    for node in violation["nodes"]:
                        where = found.setdefault(violation["rule"], {}).setdefault((node["target"], node["detail"]), [])
                        where.append(name)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(WIDTHS["desktop"])


def describe(found: Found) -> str:
    lines = []
    for rule, nodes in found.items():
        lines.append(rule)
        for (target, detail), views in nodes.items():
            lines.append(f"    {target}: {detail}" if detail else f"    {target}")
            lines.append(f"        in {', '.join(views)}")
    return "\n".join(lines)


def test_every_view_passes_axe(browser: Browser, sign_up, live_server_url, browser_log: BrowserLog):
    """No view of Peerwall has a serious or critical axe-core violation, on a desktop or a phone, light or dark.

    Proves: the landing, sign-up and log-in pages, and the app's own wall, a friend's wall, the
    feed, friends, notifications and settings, each showing realistic content (lists, articles,
    badges, an unseen count in the navigation, buttons), pass axe-core's checks of impact
    "serious" and "critical" at 1280x800 and 390x844, in light and dark colour schemes; no page
    throws.
    """
    found: Found = {}

    # Server pages, as someone who has not signed up yet sees them.
    context = browser.new_context(bypass_csp=True, viewport=WIDTHS["desktop"])
    context.set_default_timeout(TIMEOUT_MS)
    browser_log.watch_context(context, "visitor")
    try:
        page = context.new_page()
        for view, path in (("landing", "/"), ("signup", "/accounts/signup/"), ("login", "/accounts/login/")):
            page.goto(f"{live_server_url}{path}")
            check_view(page, view, found)
    finally:
        context.close()

    alice = sign_up("alice", bypass_csp=True, viewport=WIDTHS["desktop"])
    bob = sign_up("bob")
    carol = sign_up("carol")
    dave = sign_up("dave")
    for user in (alice, bob, carol, dave):
        expect_online(user.page)
    befriend(alice, bob)
    befriend(alice, dave)

    # alice's post, which bob comments on and likes; bob's posts on his wall and on hers.
    open_wall(alice.page, alice.handle, me=alice.handle)
    hello = "Back from the mountains, photos soon!"
    post(alice.page, alice.handle, hello)
    open_wall(bob.page, bob.handle, me=bob.handle)
    climb = "Anyone up for a climb on Saturday?"
    post(bob.page, bob.handle, climb)
    open_wall(bob.page, alice.handle)
    on_bob = post_article(bob.page, alice.handle, hello)
    expect(on_bob).to_be_visible(timeout=PEER_MS)
    comment(on_bob, "Welcome back! How was the weather?")
    on_bob.get_by_role("button", name="Like", exact=True).click()
    visit = post(bob.page, alice.handle, "Happy birthday, alice!")
    expect(visit).to_contain_text("delivered", timeout=PEER_MS)
    expect(post_article(alice.page, alice.handle, hello)).to_contain_text(f"@{bob.handle} likes this", timeout=PEER_MS)

    # alice likes bob's post: a pressed Like on his wall.
    open_wall(alice.page, bob.handle)
    on_alice = post_article(alice.page, bob.handle, climb)
    expect(on_alice).to_be_visible(timeout=PEER_MS)
    on_alice.get_by_role("button", name="Like", exact=True).click()
    expect(on_alice).to_contain_text("You like this")

    # dave goes offline; what alice writes on his wall waits in her outbox.
    go_offline(dave)
    expect_friend(alice.page, dave.handle, online=False)
    open_wall(alice.page, dave.handle)
    expect(post(alice.page, dave.handle, "See you at the station at nine")).to_contain_text("pending")

    # carol asks alice and waits for an answer.
    add_friend(carol.page, alice.handle)
    go(alice.page, "/friends")
    expect(incoming_request(alice.page, carol.handle)).to_be_visible(timeout=PEER_MS)
    expect(alice.page.get_by_role("link", name=re.compile(r"^Notifications \(\d+\)$"))).to_be_visible()

    # The notifications view marks its notices seen: it comes after the views that count them.
    page = alice.page
    for view, route in (
        ("my-wall", "/"),
        ("friends-wall", f"/wall/{bob.handle}"),
        ("feed", "/feed"),
        ("friends", "/friends"),
        ("notifications", "/notifications"),
        ("settings", "/settings"),
    ):
        go(page, route)
        check_view(page, view, found)

    if found:
        pytest.fail("axe-core found serious or critical violations:\n" + describe(found), pytrace=False)
    assert browser_log.unexpected() == []
