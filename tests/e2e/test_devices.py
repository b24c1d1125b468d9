"""Several devices per handle, and recovery (issue 13): one person, several browsers, one key.

A device is a browser context where the same person logs in. Logging in (not signing up) in a
browser that holds nothing of the handle's first asks how to set it up (``harness.SETUP_CHOICES``).

1. Linking: alice's second browser links to her first with the one-time code it shows; both then
   hold her wall, write on it, and receive what bob writes there, and bob sees one alice.
2. A wrong code is refused in plain words and links nothing.
3. Restore: alice's first browser is gone for good; in a new one she types her recovery phrase
   and gets her wall of 300 posts back from bob's copy, with the same key (no key warning on
   bob's side). The 300 posts are written into her store by the app's own code
   (bench/seed/seed.ts, as tests/e2e/test_dropped_links.py does). How long they take to come
   back is written to test-results/restore-figure.txt.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e import harness
from tests.e2e.harness import ROOT, BrowserLog, User, screenshot
from tests.e2e.test_dropped_links import seed_bundle, settled
from tests.e2e.ui import (
    PEER_MS,
    befriend,
    choose_to_link,
    choose_to_restore,
    expect_friend,
    expect_no_key_warning,
    expect_online,
    friends_panel,
    go,
    link_with_code,
    my_devices,
    offer_link,
    open_wall,
    post,
    post_article,
    restore_with_phrase,
    show_recovery_phrase,
    wall,
)

WORDLIST = ROOT / "frontend" / "node_modules" / "@scure" / "bip39" / "wordlists" / "english.js"
FIGURE = ROOT / "test-results" / "restore-figure.txt"

SEEDED = 300
ENOUGH = SEEDED * 95 // 100
RESTORE_SECONDS = 60
# How long nothing may happen after a refusal, for "nothing was linked" to mean something.
QUIET_MS = 2_000

# What a refusal in plain words never holds: an exception's name, an internal code, a stack.
NOT_PLAIN = re.compile(r"Error\b|Exception|refused: |undefined|null|\bat \S+[:(]|\.tsx?\b|\.js\b")

# Installed in a page before the app runs: every data channel that opens, as Date.now(), is told
# to the test through the binding ``peerwallTestLinkOpened``.
LINK_OPENS = """
(() => {
  if (window.__linkOpens) return;
  window.__linkOpens = true;
  const tell = () => window.peerwallTestLinkOpened(Date.now());
  const watch = (channel) => {
    if (channel.readyState === "open") tell();
    else channel.addEventListener("open", tell, { once: true });
  };
  const Real = window.RTCPeerConnection;
  const create = Real.prototype.createDataChannel;
  Real.prototype.createDataChannel = function (...args) {
    const channel = create.apply(this, args);
    watch(channel);
    return channel;
  };
  window.RTCPeerConnection = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener("datachannel", (event) => watch(event.channel));
    }
  };
})();
"""

# How many posts a wall holds as the page shows it (the shown articles plus the "Show older
# posts (n more)" still behind its button), and the page's clock; -1 while the wall is not shown.
WALL_POSTS = """
(owner) => {
  const heading = [...document.querySelectorAll("h1")].find((h) => h.textContent.trim() === "@" + owner);
  const view = heading?.closest("section");
  if (!view) return { count: -1, at: Date.now() };
  const more = [...view.querySelectorAll("button")].map((b) => /\\((\\d+) more\\)/.exec(b.textContent)).find(Boolean);
  return { count: view.querySelectorAll("article").length + (more ? Number(more[1]) : 0), at: Date.now() };
}
"""


@pytest.fixture
def new_device(browser: Browser, live_server_url: str, browser_log: BrowserLog) -> Iterator[Callable[..., User]]:
    """A brand-new browser where an existing person logs in: ``new_device(alice, "label")`` returns
    a User whose page shows the set-up choice. ``prepare(context)`` runs before the first page."""
    contexts: list[BrowserContext] = []

    def make(user: User, label: str, prepare: Callable[[BrowserContext], None] | None = None) -> User:
        context = browser.new_context()
        contexts.append(context)
        context.set_default_timeout(harness.TIMEOUT_MS)
        context.set_default_navigation_timeout(harness.TIMEOUT_MS)
        browser_log.watch_context(context, f"{label} @{user.handle}")
        if prepare:
            prepare(context)
        try:
            page = harness.log_in(context.new_page(), live_server_url, user.handle, user.password, setup=True)
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return User(user.handle, user.password, context, page)

    yield make
    for context in contexts:
        context.close()


def heading(page: Page, handle: str) -> Locator:
    return page.get_by_role("heading", name=f"@{handle}", exact=True)


def refusal(page: Page) -> Locator:
    """The alert a refused code or phrase shows (an empty live region does not count)."""
    return page.get_by_role("alert").filter(has_text=re.compile(r"\w"))


def plain_words(said: str) -> str:
    """``said`` is a sentence for a person, not a stack trace or an error code."""
    assert len(re.findall(r"[A-Za-z]+", said)) >= 4, f"not a sentence: {said!r}"
    assert not NOT_PLAIN.search(said), f"not plain words: {said!r}"
    assert len(said.splitlines()) <= 3, f"not plain words: {said!r}"
    return said


def public_key(page: Page) -> str:
    go(page, "/settings")
    return page.locator("code.key").inner_text()


def altered(code: str) -> str:
    """``code`` with its last letter or digit changed to another one the code itself uses: a code
    of the right form, but not the one shown."""
    i = max(i for i, c in enumerate(code) if c.isalnum())
    other = next(c for c in code if c.isalnum() and c != code[i])
    return code[:i] + other + code[i + 1 :]


def bip39_words() -> list[str]:
    """The BIP-39 English word list the app uses (@scure/bip39)."""
    match = re.search(r"`([^`]*)`", WORDLIST.read_text())
    assert match, f"no word list in {WORDLIST}"
    words = match.group(1).split()
    assert len(words) == 2048
    return words


def checksum_holds(words: list[str], wordlist: list[str]) -> bool:
    """24 words = 256 bits of key and 8 bits of SHA-256 checksum (BIP-39)."""
    bits = "".join(f"{wordlist.index(w):011b}" for w in words)
    entropy = int(bits[:256], 2).to_bytes(32, "big")
    return hashlib.sha256(entropy).digest()[0] == int(bits[256:], 2)


def wall_posts(page: Page, owner: str, at_least: int, timeout_s: float) -> tuple[int, int]:
    """Waits until ``@owner``'s wall, shown on ``page``, holds ``at_least`` posts; returns how many
    it held then and when (the page's Date.now()). Survives the page reloading meanwhile."""
    deadline = time.monotonic() + timeout_s
    count = -1
    while True:
        try:
            shown = page.evaluate(WALL_POSTS, owner)
            count = shown["count"]
            if count >= at_least:
                return count, shown["at"]
        except PlaywrightError:
            pass  # the page is between two documents
        if time.monotonic() > deadline:
            raise AssertionError(f"@{owner}'s wall holds {count} posts after {timeout_s:.0f} s, not {at_least}")
        page.wait_for_timeout(100)


def test_a_second_browser_links_to_the_first_and_both_are_alice(sign_up, new_device, browser_log: BrowserLog):
    """alice links a second browser with the code her first one shows; both are her, bob sees one alice.

    Proves: sign-up goes straight to the wall, while logging in from a browser that holds nothing
    of alice's offers the set-up choice; the one-time code from Settings → Link a device links
    the second browser, which then shows her wall with what she wrote before and holds her key;
    posts travel every way (first browser → bob and second, second → bob and first with nothing
    left pending, bob on her wall → both browsers), in the same order everywhere; both browsers
    list two devices; bob has one friend alice, online, with no key warning.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    expect(alice.page.get_by_role("button", name="Start fresh", exact=True)).to_have_count(0)
    befriend(alice, bob)

    before = "alice, from her first browser, before linking"
    open_wall(alice.page, alice.handle, me=alice.handle)
    post(alice.page, alice.handle, before)
    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, before)).to_be_visible(timeout=PEER_MS)
    key = public_key(alice.page)

    second = new_device(alice, "alice's second browser")
    a2 = second.page
    expect(heading(a2, alice.handle)).to_have_count(0)
    expect(a2.get_by_role("textbox", name="New post")).to_have_count(0)
    screenshot(a2, "devices-setup-choice")
    choose_to_link(a2)

    code = offer_link(alice.page)
    link_with_code(a2, code)
    expect(heading(a2, alice.handle)).to_be_visible(timeout=PEER_MS)
    expect(post_article(a2, alice.handle, before)).to_be_visible(timeout=PEER_MS)
    expect_online(a2)
    assert public_key(a2) == key

    from_first = "alice, from her first browser, after linking"
    open_wall(alice.page, alice.handle, me=alice.handle)
    post(alice.page, alice.handle, from_first)
    open_wall(a2, alice.handle, me=alice.handle)
    expect(post_article(a2, alice.handle, from_first)).to_be_visible(timeout=PEER_MS)
    expect(post_article(bob.page, alice.handle, from_first)).to_be_visible(timeout=PEER_MS)

    from_second = "alice, from her second browser"
    mine = post(a2, alice.handle, from_second)
    expect(post_article(bob.page, alice.handle, from_second)).to_be_visible(timeout=PEER_MS)
    expect(post_article(alice.page, alice.handle, from_second)).to_be_visible(timeout=PEER_MS)
    expect(mine).not_to_contain_text("pending", timeout=PEER_MS)

    his = "bob, on alice's wall"
    expect(post(bob.page, alice.handle, his)).to_contain_text("delivered", timeout=PEER_MS)
    for page in (alice.page, a2):
        expect(post_article(page, alice.handle, his)).to_contain_text(f"@{bob.handle}", timeout=PEER_MS)

    newest_first = [his, from_second, from_first, before]
    for page in (alice.page, a2, bob.page):
        articles = wall(page, alice.handle).locator("article")
        expect(articles).to_have_count(len(newest_first))
        expect(articles).to_contain_text(newest_first)
        expect(articles.filter(has_text="pending")).to_have_count(0)

    go(alice.page, "/settings")
    expect(my_devices(alice.page)).to_have_count(2)
    screenshot(alice.page, "devices-list")
    go(a2, "/settings")
    expect(my_devices(a2)).to_have_count(2)

    expect_friend(bob.page, alice.handle)
    expect(friends_panel(bob.page).get_by_role("link", name=f"@{alice.handle}", exact=True)).to_have_count(1)
    expect_no_key_warning(bob.page, alice.handle)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_wrong_device_code_is_refused_in_plain_words(sign_up, new_device, browser_log: BrowserLog):
    """A code one character off the one alice's first browser shows: refused, said plainly, nothing linked.

    Proves: the second browser refuses the wrong code with a sentence about the code (an alert,
    no stack trace, no error code), stays on the set-up choice without a wall, and the first
    browser still lists one device; the code it shows then still links, so the refusal was the
    code's.
    """
    alice = sign_up("alice")
    second = new_device(alice, "alice's second browser")
    a2 = second.page
    choose_to_link(a2)

    code = offer_link(alice.page)
    link_with_code(a2, altered(code))
    said = refusal(a2)
    expect(said).to_be_visible(timeout=PEER_MS)
    words = plain_words(said.inner_text())
    assert re.search(r"\bcode\b", words, re.IGNORECASE), words
    assert re.search(
        r"wrong|not right|incorrect|not the one|does not match|doesn't match|no such|unknown|not valid|invalid",
        words,
        re.I,
    ), words
    screenshot(a2, "devices-wrong-code")

    a2.wait_for_timeout(QUIET_MS)
    expect(heading(a2, alice.handle)).to_have_count(0)
    expect(a2.get_by_role("textbox", name="Device code", exact=True)).to_be_visible()
    go(alice.page, "/settings")
    expect(my_devices(alice.page)).to_have_count(1)

    link_with_code(a2, offer_link(alice.page))
    expect(heading(a2, alice.handle)).to_be_visible(timeout=PEER_MS)
    go(alice.page, "/settings")
    expect(my_devices(alice.page)).to_have_count(2)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_recovery_phrase_and_a_friend_bring_back_key_and_wall(sign_up, new_device, tmp_path, browser_log: BrowserLog):
    """alice's only browser is gone; in a new one her 24 words and bob's copy bring back her 300 posts.

    Proves: Settings → Show recovery phrase shows 24 BIP-39 words whose checksum holds; a new
    browser refuses a phrase with a word not on the list (naming the word and its place) and one
    with two words swapped (the checksum), in plain words, and restores nothing; the right phrase
    gives back her key (the same public key, no key warning on bob's side), and bob, her only
    friend, gives back her wall: 95% of it within RESTORE_SECONDS of the link to bob opening (the
    figure goes to test-results/restore-figure.txt), then all of it, newest first; she writes on,
    and her next post reaches bob as the wall's 301st.
    """
    alice = sign_up("alice", bypass_csp=True)  # the seeding script is injected as a <script>
    bob = sign_up("bob")
    befriend(alice, bob)

    started = time.monotonic()
    alice.page.add_script_tag(content=seed_bundle(tmp_path))
    seeded = alice.page.evaluate("([h, n]) => window.peerwallSeed(h, n)", [alice.handle, SEEDED])
    assert seeded["count"] == SEEDED, seeded
    alice.page.reload()  # her app reads the seeded wall and signs its places
    expect_online(alice.page)
    open_wall(bob.page, alice.handle)
    wall_posts(bob.page, alice.handle, SEEDED, PEER_MS / 1000)
    # bob holds her wall as her app settles it: her signed friend list on it too (what a restored
    # browser learns its friends from), every place signed.
    settled(bob.page, f"peerwall-{bob.handle.lower()}", alice.handle, SEEDED + 1)
    print(f"seeded {SEEDED} posts and bob holds them after {time.monotonic() - started:.1f} s")

    key = public_key(alice.page)
    words = show_recovery_phrase(alice.page)
    screenshot(alice.page, "devices-recovery-phrase")
    wordlist = bip39_words()
    assert len(words) == 24 and set(words) <= set(wordlist), words
    assert checksum_holds(words, wordlist)
    alice.context.close()  # her only browser, gone for good
    expect_friend(bob.page, alice.handle, online=False)

    opens: list[int] = []

    def watch_links(context: BrowserContext) -> None:
        context.expose_function("peerwallTestLinkOpened", lambda at: opens.append(at))
        context.add_init_script(script=LINK_OPENS)

    third = new_device(alice, "alice's new browser", prepare=watch_links)
    a3 = third.page
    choose_to_restore(a3)

    # A word that is not on the list: named, with its place.
    assert "peerwall" not in wordlist
    restore_with_phrase(a3, [*words[:6], "peerwall", *words[7:]])
    said = refusal(a3)
    expect(said).to_contain_text("peerwall", timeout=PEER_MS)
    unknown = plain_words(said.inner_text())
    assert re.search(r"\b7(th)?\b|seventh", unknown, re.IGNORECASE), unknown
    screenshot(a3, "devices-recovery-phrase-refused")

    # Two neighbours swapped: every word on the list, but the checksum does not hold.
    i = next(i for i in range(23) if words[i] != words[i + 1] and not checksum_holds(swap(words, i), wordlist))
    restore_with_phrase(a3, swap(words, i))
    expect(said).not_to_contain_text("peerwall", timeout=PEER_MS)
    checksum = plain_words(said.inner_text())
    assert re.search(r"check|typo|mistake|order|wrong|not right|does not add up|doesn't add up|match", checksum, re.I)
    a3.wait_for_timeout(QUIET_MS)
    expect(heading(a3, alice.handle)).to_have_count(0)

    clicked = a3.evaluate("() => Date.now()")
    restore_with_phrase(a3, words)
    expect(heading(a3, alice.handle)).to_be_visible(timeout=PEER_MS)
    back, at = wall_posts(a3, alice.handle, ENOUGH, RESTORE_SECONDS + PEER_MS / 1000)
    link = min((t for t in opens if t >= clicked), default=None)
    seconds = (at - link) / 1000 if link is not None else float("nan")
    figure = (
        f"{back} of {SEEDED} events back on the restored wall {seconds:.2f} s after the link to bob opened "
        f"({(at - clicked) / 1000:.2f} s after Restore was clicked)\n"
    )
    print(figure, end="")
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    FIGURE.write_text(figure)
    assert link is not None, f"no data channel opened in the new browser after Restore (opens: {opens}, at {clicked})"
    assert seconds <= RESTORE_SECONDS, figure

    assert wall_posts(a3, alice.handle, SEEDED, PEER_MS / 1000)[0] == SEEDED
    expect(wall(a3, alice.handle).locator("article").first).to_contain_text(f"bench post {SEEDED - 1} ")
    screenshot(a3, "devices-restored-wall")
    assert public_key(a3) == key
    expect_friend(a3, bob.handle)
    expect_no_key_warning(bob.page, alice.handle)

    after = "alice, back from her recovery phrase"
    open_wall(a3, alice.handle, me=alice.handle)
    post(a3, alice.handle, after)
    open_wall(bob.page, alice.handle)
    expect(post_article(bob.page, alice.handle, after)).to_be_visible(timeout=PEER_MS)
    expect(wall(bob.page, alice.handle).locator("article").first).to_contain_text(after)
    assert wall_posts(bob.page, alice.handle, SEEDED + 1, PEER_MS / 1000)[0] == SEEDED + 1
    expect_no_key_warning(bob.page, alice.handle)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def swap(words: list[str], i: int) -> list[str]:
    return [*words[:i], words[i + 1], words[i], *words[i + 2 :]]
