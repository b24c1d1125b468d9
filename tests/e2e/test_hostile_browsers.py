"""Hostile browsers: a friend or a blocked person who speaks the peer protocol by hand gets nothing.

As in test_hostile_friend.py, the hostile side leaves the app for a same-origin page that runs no
script of ours, and there the official PeerJS client speaks Peerwall's protocol as the test says
(tests/e2e/peer_js.py ``HOSTILE_CLIENT``): hello and proof with a real Ed25519 key, a friend
request that alice accepts in her UI, then whatever the test has her send. alice, and everyone
else, use the real app in real Chromium over real WebRTC.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.e2e.harness import BrowserLog, User, screenshot
from tests.e2e.peer_js import start_hostile_client
from tests.e2e.test_photos import (
    expect_full_size,
    file,
    lightbox,
    photo_refs,
    post_with_photos,
    stored_blobs,
    tile,
    tiny_png,
)
from tests.e2e.ui import (
    PEER_MS,
    accept_request,
    add_friend,
    befriend,
    confirm,
    expect_friend,
    expect_online,
    friend_row,
    friends_panel,
    go,
    incoming_request,
    open_wall,
    outgoing_request,
    post,
    post_article,
)


def hostile_friend_of(alice: User, mallory: User, base_url: str) -> Page:
    """mallory's hand-written client asks alice, who accepts in her UI; returns mallory's page."""
    page = mallory.page
    start_hostile_client(page, base_url, mallory.handle, alice.handle, PEER_MS)
    accept_request(alice.page, mallory.handle)
    expect_friend(alice.page, mallory.handle)
    return page


def dropped_lines(browser_log: BrowserLog, peer: str) -> list[str]:
    return [line for line in browser_log.lines if f"dropped a frame from @{peer}:" in line]


# --- 1. the photo-hash trick ---------------------------------------------------------------------

# Runs in mallory's page: a post for alice's wall naming a photo mallory never had, then requests
# for its bytes; resolves to what alice answered, once nothing more can be on its way.
NAME_THE_PHOTO = """
async ({ photo, text }) => {
  const m = window.m;
  const post = await m.event({ wall: m.alice, body: { text, photos: [photo] } });
  m.send({ t: "deliver", event: post });
  const ack = await m.waitFor((f) => f?.t === "ack" && f.id === post.id);
  const answers = {};
  for (const [name, hash] of [["full", photo.full], ["thumb", photo.thumb]]) {
    m.send({ t: "blob-get", hash, from: 0 });
    answers[name] = await m.waitFor((f) => f?.t?.startsWith?.("blob-") && f.hash === hash);
  }
  // Bytes would follow a blob-info at once; give any the time to come.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const hashes = [photo.full, photo.thumb];
  return {
    ack,
    answers,
    blobFrames: m.inbox.filter((f) => f?.t?.startsWith?.("blob-") && hashes.includes(f.hash)),
    binary: m.binary.length,
    errors: m.errors,
  };
}
"""

# Runs in mallory's page: asks for a photo alice may share with her; resolves to the bytes' count.
FETCH_PHOTO = """
async ({ hash, size }) => {
  const m = window.m;
  const before = m.binary.reduce((a, b) => a + b, 0);
  m.send({ t: "blob-get", hash, from: 0 });
  const info = await m.waitFor((f) => f?.t?.startsWith?.("blob-") && f.hash === hash);
  const started = Date.now();
  while (m.binary.reduce((a, b) => a + b, 0) - before < size && Date.now() - started < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { info, received: m.binary.reduce((a, b) => a + b, 0) - before };
}
"""


def test_a_friend_who_names_another_walls_photo_gets_none_of_its_bytes(
    sign_up, live_server_url, browser_log: BrowserLog
):
    """mallory learns the hashes of carol's photo and posts them on alice's wall: alice sends her nothing.

    Proves: carol (alice's friend, not mallory's) posts a photo and alice opens it, so the full
    image is in alice's browser; mallory (alice's friend) delivers a signed post naming that
    photo's hashes, which alice takes onto her wall, then asks alice for the full image and the
    thumbnail: alice answers each with blob-none "not-shared", announces no blob and sends no
    byte, while the same request for a photo of alice's own gets its bytes (so the link does
    carry photos).
    """
    alice = sign_up("alice")
    carol = sign_up("carol")
    expect_online(alice.page)
    expect_online(carol.page)
    befriend(alice, carol)
    mallory = sign_up("mallory", bypass_csp=True)
    page = hostile_friend_of(alice, mallory, live_server_url)

    # carol posts a photo on her wall; alice opens it at full size.
    text = "carol's photo, for her friends"
    open_wall(carol.page, carol.handle, me=carol.handle)
    post_with_photos(
        carol.page, carol.handle, text, [file("carol.png", tiny_png(1200, 800, (40, 120, 200)), "image/png")]
    )
    photo = photo_refs(carol, text)[0]
    open_wall(alice.page, carol.handle)
    on_alice = post_article(alice.page, carol.handle, text)
    expect(on_alice).to_be_visible(timeout=PEER_MS)
    tile(on_alice, 1, 1, carol.handle).click()
    assert expect_full_size(lightbox(alice.page, 1, 1), 1, 1, carol.handle) == (photo["w"], photo["h"])
    alice.page.keyboard.press("Escape")
    held = stored_blobs(alice)
    assert photo["full"] in held and photo["thumb"] in held, held

    # mallory names that photo in a post on alice's wall (alice takes it), and asks for its bytes.
    trick = "look what I found"
    result = page.evaluate(NAME_THE_PHOTO, {"photo": photo, "text": trick})
    assert result["ack"]["seq"] >= 1, result
    assert result["answers"]["full"] == {"t": "blob-none", "hash": photo["full"], "reason": "not-shared"}, result
    assert result["answers"]["thumb"] == {"t": "blob-none", "hash": photo["thumb"], "reason": "not-shared"}, result
    assert [f["t"] for f in result["blobFrames"]] == ["blob-none", "blob-none"], result["blobFrames"]
    assert result["binary"] == 0, f"alice sent mallory {result['binary']} binary messages"
    assert result["errors"] == [], result["errors"]
    region = open_wall(alice.page, alice.handle, me=alice.handle)
    expect(post_article(alice.page, alice.handle, trick)).to_contain_text(f"@{mallory.handle}")
    screenshot(alice.page, "test_hostile_browsers-alice-wall-with-the-named-photo")

    # The same request for alice's own photo is answered with its bytes.
    post_with_photos(
        alice.page, alice.handle, "alice's own", [file("own.png", tiny_png(300, 200, (200, 80, 40)), "image/png")]
    )
    own = photo_refs(alice, "alice's own")[0]
    size = stored_blobs(alice)[own["thumb"]]["size"]
    fetched = page.evaluate(FETCH_PHOTO, {"hash": own["thumb"], "size": size})
    assert fetched["info"]["t"] == "blob-info", fetched
    assert fetched["received"] >= size, fetched
    expect(region.locator("article")).to_have_count(2)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 2. a blocked person asks again ----------------------------------------------------------------


# Installed before alice's app runs: every RTCPeerConnection her page makes is kept, so the test can
# tell that a dial reached her browser (and was closed) rather than got lost on the way.
COUNT_PEER_CONNECTIONS = """
(() => {
  const Real = window.RTCPeerConnection;
  const made = (window.__pcs = []);
  window.RTCPeerConnection = class extends Real {
    constructor(...args) {
      super(...args);
      made.push(this);
    }
  };
})();
"""


def expect_blocked(page: Page, handle: str) -> None:
    """``@handle`` is listed under "Blocked" (with "Unblock"), and nowhere as a friend."""
    go(page, "/friends")
    panel = friends_panel(page)
    expect(panel.get_by_role("heading", name="Blocked", exact=True)).to_be_visible()
    unblock = page.get_by_role("button", name="Unblock", exact=True)
    expect(panel.locator("li").filter(has_text=f"@{handle}").filter(has=unblock)).to_have_count(1)
    expect(friend_row(page, handle)).to_have_count(0)


def test_a_blocked_person_cannot_ask_again_in_another_spelling_or_through_the_app(
    sign_up, live_server_url, browser_log: BrowserLog
):
    """alice blocks bob; bob asks again as "BOB" by hand and through his app: alice never hears of it.

    Proves: once blocked, bob's hand-written client connecting to the broker as his handle in
    capitals is refused with a PeerJS ERROR his page receives (naming the one spelling it may
    use), so no connection reaches alice; his app's friend request dials alice's browser, which
    closes the link at once; alice's friends page shows no request, bob stays under "Blocked",
    and alice gets no notice that he wants to be friends.
    """
    alice = sign_up("alice")
    alice.context.add_init_script(script=COUNT_PEER_CONNECTIONS)
    alice.page.reload()
    bob = sign_up("bob", bypass_csp=True)
    expect_online(alice.page)
    expect_online(bob.page)
    befriend(alice, bob)

    go(alice.page, "/friends")
    confirm(friend_row(alice.page, bob.handle), "Block", "Yes, block")
    expect_blocked(alice.page, bob.handle)
    go(bob.page, "/friends")
    expect(friend_row(bob.page, alice.handle)).to_have_count(0, timeout=PEER_MS)  # alice said unfriend
    links_before = alice.page.evaluate("() => window.__pcs.length")

    # bob's browser, by hand, as BOB: the broker refuses the spelling with an ERROR.
    shouting = bob.handle.upper()
    assert shouting != bob.handle
    hand = bob.context.new_page()
    with pytest.raises(PlaywrightError) as refused:
        start_hostile_client(hand, live_server_url, shouting, alice.handle, PEER_MS)
    said = str(refused.value)
    assert "server-error" in said, said
    assert f"may connect only as '{bob.handle}'" in said and shouting in said, said
    hand.close()
    expect_online(bob.page)  # the refused socket took nothing from bob's own app

    # bob's app asks again: the dial reaches alice's browser, which hangs up.
    add_friend(bob.page, alice.handle)
    alice.page.wait_for_function(
        "(n) => window.__pcs.length > n && window.__pcs.slice(n).every((pc) => pc.signalingState === 'closed')",
        arg=links_before,
        timeout=PEER_MS,
    )
    alice.page.wait_for_timeout(1_000)
    expect(outgoing_request(bob.page, alice.handle)).to_be_visible()

    go(alice.page, "/friends")
    expect(incoming_request(alice.page, bob.handle)).to_have_count(0)
    expect(friends_panel(alice.page).get_by_role("heading", name="Friend requests")).to_have_count(0)
    expect_blocked(alice.page, bob.handle)
    screenshot(alice.page, "test_hostile_browsers-alice-friends-bob-blocked")
    go(alice.page, "/notifications")
    expect(alice.page.get_by_text("wants to be friends")).to_have_count(0)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 3. a flood of posts --------------------------------------------------------------------------

# Runs in mallory's page: signs ``count`` posts for alice's wall (before the clock starts).
SIGN_FLOOD = """
async (count) => {
  const m = window.m;
  m.flood = [];
  for (let i = 1; i <= count; i++) {
    m.flood.push(await m.event({ wall: m.alice, body: { text: `flood ${i} of ${count}` } }));
  }
}
"""

# Runs in mallory's page: sends the signed posts all at once and waits for alice's answer to each.
SEND_FLOOD = """
async (timeoutMs) => {
  const m = window.m;
  const posts = m.flood;
  const started = performance.now();
  for (const event of posts) m.send({ t: "deliver", event });
  const sentMs = performance.now() - started;
  const ids = new Set(posts.map((p) => p.id));
  const answers = () => m.inbox.filter((f) => (f?.t === "ack" || f?.t === "nack") && ids.has(f.id));
  while (answers().length < posts.length && performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const got = answers();
  return {
    sentMs,
    answeredMs: performance.now() - started,
    answered: got.length,
    distinct: new Set(got.map((f) => f.id)).size,
    acked: got.filter((f) => f.t === "ack").map((f) => posts.findIndex((p) => p.id === f.id) + 1),
    reasons: [...new Set(got.filter((f) => f.t === "nack").map((f) => f.reason))],
    nacks: got.filter((f) => f.t === "nack").length,
    errors: m.errors,
  };
}
"""

FLOOD_SIZE = 500
PER_MINUTE = 20  # frontend/src/sync/policy.ts PER_FRIEND.deliveriesPerMinute


def test_a_friends_flood_of_posts_is_capped_and_alice_stays_responsive(
    sign_up, live_server_url, browser_log: BrowserLog
):
    """mallory sends 500 signed posts for alice's wall as fast as she can: 20 go up, the rest are refused.

    Proves: alice takes the first 20 (her per-friend limit a minute) in the order they came and
    answers each of the other 480 with nack "over-quota", once each; her wall shows those 20 and
    no more (no "Show older posts"), she is notified of those 20 only; she can post during the flood
    and after it and sees her post at once; nothing throws. The refusals are logged as drops.
    """
    alice = sign_up("alice")
    expect_online(alice.page)
    mallory = sign_up("mallory", bypass_csp=True)
    page = hostile_friend_of(alice, mallory, live_server_url)
    region = open_wall(alice.page, alice.handle, me=alice.handle)

    page.evaluate(SIGN_FLOOD, FLOOD_SIZE)
    # Not awaited: alice posts while her browser works through the flood.
    page.evaluate("(ms) => { window.sent = (" + SEND_FLOOD + ")(ms); }", PEER_MS)
    during = post(alice.page, alice.handle, "alice posts during the flood")
    result = page.evaluate("() => window.sent")
    assert result["answered"] == FLOOD_SIZE and result["distinct"] == FLOOD_SIZE, result
    assert result["acked"] == list(range(1, PER_MINUTE + 1)), result
    assert result["nacks"] == FLOOD_SIZE - PER_MINUTE and result["reasons"] == ["over-quota"], result
    assert result["errors"] == [], result["errors"]

    # Still quick: a post shows the moment she makes it.
    region.get_by_role("textbox", name="New post").fill("alice posts after the flood")
    region.get_by_role("button", name="Post", exact=True).click()
    expect(post_article(alice.page, alice.handle, "alice posts after the flood")).to_be_visible(timeout=2_000)
    expect(during).to_be_visible()

    flood = region.locator("article").filter(has_text=re.compile(rf"flood \d+ of {FLOOD_SIZE}"))
    expect(flood).to_have_count(PER_MINUTE, timeout=PEER_MS)
    for i in (1, PER_MINUTE):
        expect(post_article(alice.page, alice.handle, f"flood {i} of {FLOOD_SIZE}")).to_have_count(1)
    expect(region.get_by_text(f"flood {PER_MINUTE + 1} of {FLOOD_SIZE}", exact=True)).to_have_count(0)
    expect(region.get_by_role("button", name=re.compile("Show older posts"))).to_have_count(0)
    expect(region.locator("article")).to_have_count(PER_MINUTE + 2)
    screenshot(alice.page, "test_hostile_browsers-alice-wall-after-the-flood")
    # mallory's friend request and the 20 posts alice took: no notice for a refused one.
    nav = alice.page.get_by_role("navigation", name="Peerwall")
    expect(nav.get_by_role("link", name=f"Notifications ({PER_MINUTE + 1})", exact=True)).to_be_visible()
    go(alice.page, "/notifications")
    posted = alice.page.get_by_role("listitem").filter(has_text=f"@{mallory.handle} posted on your wall")
    expect(posted).to_have_count(PER_MINUTE)

    over = [
        line
        for line in dropped_lines(browser_log, mallory.handle)
        if f"more than @{mallory.handle} may add to my wall" in line
    ]
    assert len(over) == FLOOD_SIZE - PER_MINUTE, len(over)
    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
