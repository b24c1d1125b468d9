"""A hostile friend: mallory speaks Peerwall's peer protocol by hand and sends alice what she likes.

mallory signs up through the real pages, then leaves the app for a same-origin page that runs no
script of ours (``/api/ice``, see tests/e2e/test_peerjs_client.py for why; her context bypasses
the CSP so the test can inject a script tag there). There the official PeerJS client connects as
her handle, and the test speaks the protocol of frontend/src/sync/frames.ts and engine.ts over a
json DataConnection to alice: hello and proof with a real Ed25519 key made by WebCrypto, a friend
request that alice accepts in her UI, and then everything a malicious friend could send.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.harness import PEERJS_CLIENT, BrowserLog, screenshot
from tests.e2e.peer_js import HOSTILE_CLIENT as MALLORY
from tests.e2e.ui import (
    PEER_MS,
    accept_request,
    befriend,
    expect_friend,
    expect_online,
    go,
    open_wall,
    post_article,
    wall,
)

IMG_XSS = '<img src=x onerror="window.__pwned=1">'
SCRIPT_XSS = "<script>window.__pwned=2</script>"
DELIVERED_XSS = '<img src=x onerror="window.__pwned=3"> mallory was here'
FORGED = "forged: bob never wrote this"
BROKEN = "this post's signature is broken"
FORGED_DELIVERY = "forged delivery: bob never wrote this either"
ELSEWHERE = "an event for alice's wall hidden in mallory's batch"
NOT_OWNER = "events of alice's wall served by mallory"

# Runs in mallory's page once alice trusts her: answers alice's sync of mallory's wall with two
# honest posts carrying markup and three events that must be refused, then sends everything else.
ATTACK = """
async ({ bob, texts }) => {
  const m = window.m;
  const sync = await m.waitFor((f) => f?.t === "sync" && f.wall === m.me);
  const honest1 = await m.event({ wall: m.me, body: { text: texts.img }, seq: 1 });
  const honest2 = await m.event({ wall: m.me, body: { text: texts.script }, seq: 2 });
  const forged = await m.event({ wall: m.me, author: bob, body: { text: texts.forged }, seq: 3 });
  const broken = await m.event({ wall: m.me, body: { text: texts.broken }, seq: 4, breakSig: true });
  const elsewhere = await m.event({ wall: m.alice, body: { text: texts.elsewhere }, seq: 5 });
  // The batch names mallory's key for bob too: alice must use the key she pinned for bob.
  m.send({ t: "events", wall: m.me, events: [honest1, honest2, forged, broken, elsewhere],
           keys: { [m.me]: m.key, [bob]: m.key }, upto: 5, done: true });
  // Live events: a forged author again, and a wall that is not mallory's to serve.
  m.send({ t: "event", event: await m.event({ wall: m.me, author: bob, body: { text: texts.forged }, seq: 6 }),
           keys: { [bob]: m.key } });
  const notOwner = await m.event({ wall: m.alice, body: { text: texts.notOwner }, seq: 1 });
  m.send({ t: "events", wall: m.alice, events: [notOwner], keys: {}, upto: 1, done: true });

  // Deliveries for alice's wall: one claiming bob wrote it (refused), one honestly by mallory.
  const forgedDelivery = await m.event({ wall: m.alice, author: bob, body: { text: texts.forgedDelivery } });
  m.send({ t: "deliver", event: forgedDelivery });
  const delivery = await m.event({ wall: m.alice, body: { text: texts.delivered } });
  m.send({ t: "deliver", event: delivery });

  // Garbage.
  const garbage = [
    { t: "script", src: "javascript:window.__pwned=4" },
    "x".repeat(15_000),
    null,
    [1, 2, 3],
    42,
    { t: "junk", pad: "y".repeat(16_100) },
    { t: "events", wall: m.me, events: "nope", keys: {}, upto: 1, done: true },
    { t: "events", wall: m.me, events: [{ ...honest1, id: "<b>x</b>" }], keys: {}, upto: 1, done: true },
    { t: "hello", v: 1, handle: m.me, key: m.key, nonce: "A".repeat(20) },
    { t: "hello", v: 1, handle: bob, key: m.key, nonce: "A".repeat(20) },
    { t: "proof", sig: "A".repeat(86) },
    { t: "sync", wall: "../../etc/passwd", since: -1 },
    { t: "sync", wall: bob, since: 0 },
    { t: "ack", id: "nothing-of-mine", seq: 1 },
    { t: "deliver", event: { ...delivery, id: "AAAAAAAAAAAAAAAA", body: { text: "z".repeat(6_000) } } },
    { t: "deliver", event: { ...delivery, kind: "profile" } },
    { t: "deliver", event: { ...delivery, extra: "<img src=x onerror=window.__pwned=5>" } },
    { t: "event", event: { ...honest1, seq: 7, ts: Date.now() + 10 * 24 * 3600_000 }, keys: {} },
    { t: "__proto__", polluted: true },
    { constructor: { prototype: { polluted: true } } },
  ];
  for (const frame of garbage) m.send(frame);
  // Below PeerJS: text that is not JSON at all, straight onto the data channel.
  m.conn.dataChannel.send("{not json");
  // Still alive after all that: a ping gets its pong.
  m.send({ t: "ping", n: 4242 });
  await m.waitFor((f) => f?.t === "pong" && f.n === 4242);
  const ack = await m.waitFor((f) => f?.t === "ack" && f.id === delivery.id);
  return {
    since: sync.since,
    ack,
    forgedDeliveryAnswered: m.inbox.some((f) => f?.id === forgedDelivery.id),
    errors: m.errors,
  };
}
"""


def _no_markup_ran(page: Page) -> None:
    assert page.evaluate("() => window.__pwned") is None, "peer content ran as script"
    assert page.locator('img[src="x"]').count() == 0, "peer content became an <img> element"
    assert page.evaluate("() => [...document.scripts].some((s) => s.textContent.includes('__pwned'))") is False
    assert page.evaluate("() => Object.prototype.polluted") is None


def test_a_hostile_friend_cannot_forge_inject_or_crash(sign_up, live_server_url, browser_log: BrowserLog):
    """mallory, a friend speaking the protocol by hand, gets her honest posts shown as text and nothing else.

    Proves: a hand-made client passes hello/proof with its own key and its friend request shows
    up in alice's UI; after alice accepts, posts mallory signed honestly appear on mallory's wall
    and on alice's (by delivery), with their HTML shown as literal text and never run (also on
    bob's page, who gets them from alice); an event claiming bob (alice's friend) as author but
    signed by mallory, an event with a broken signature, events of another wall, a delivery
    claiming bob wrote it, and garbage frames are all dropped with a logged reason; the
    connection survives them (a ping still gets its pong); no page throws.
    """
    alice = sign_up("alice")
    bob = sign_up("bob")
    expect_online(alice.page)
    expect_online(bob.page)
    befriend(alice, bob)
    mallory = sign_up("mallory", bypass_csp=True)

    page = mallory.page
    page.goto(f"{live_server_url}/api/ice")  # unloads mallory's app; no script of ours runs here
    page.add_script_tag(path=str(PEERJS_CLIENT))
    key = page.evaluate(MALLORY, {"me": mallory.handle, "alice": alice.handle, "timeoutMs": PEER_MS})
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key)

    # alice sees the request from mallory's hand-made client and accepts it in her UI.
    accept_request(alice.page, mallory.handle)
    screenshot(alice.page, "test_hostile-alice-accepted-mallory")
    result = page.evaluate(
        ATTACK,
        {
            "bob": bob.handle,
            "texts": {
                "img": IMG_XSS,
                "script": SCRIPT_XSS,
                "forged": FORGED,
                "broken": BROKEN,
                "elsewhere": ELSEWHERE,
                "notOwner": NOT_OWNER,
                "forgedDelivery": FORGED_DELIVERY,
                "delivered": DELIVERED_XSS,
            },
        },
    )
    assert result["since"] == {}  # nothing of mallory's wall held yet, in any stream
    assert result["ack"]["seq"] >= 1, result
    assert result["forgedDeliveryAnswered"] is False, "alice must not ack (or nack) a forged delivery"
    assert result["errors"] == [], result["errors"]
    expect_friend(alice.page, mallory.handle, online=True)

    # mallory's wall on alice's page: exactly the two honest posts, their markup as text.
    region = open_wall(alice.page, mallory.handle)
    expect(region.locator("article")).to_have_count(2, timeout=PEER_MS)
    for text in (IMG_XSS, SCRIPT_XSS):
        article = post_article(alice.page, mallory.handle, text)
        expect(article).to_have_count(1)
        assert text in article.text_content()
        expect(article).to_contain_text(f"@{mallory.handle}")
    for text in (FORGED, BROKEN, ELSEWHERE):
        expect(region.get_by_text(text)).to_have_count(0)
    screenshot(alice.page, "test_hostile-alice-on-mallorys-wall")

    # alice's own wall: mallory's honest delivery as text, nothing forged.
    region = open_wall(alice.page, alice.handle, me=alice.handle)
    delivered = post_article(alice.page, alice.handle, "mallory was here")
    expect(delivered).to_have_count(1)
    assert DELIVERED_XSS in delivered.text_content()
    for text in (FORGED_DELIVERY, NOT_OWNER, ELSEWHERE, "z" * 100):
        expect(region.get_by_text(text)).to_have_count(0)
    expect(region.locator("article")).to_have_count(1)
    screenshot(alice.page, "test_hostile-alice-wall")

    # The feed shows every wall alice has: nothing forged anywhere.
    go(alice.page, "/feed")
    for text in (FORGED, BROKEN, FORGED_DELIVERY, ELSEWHERE, NOT_OWNER):
        expect(alice.page.get_by_text(text)).to_have_count(0)
    _no_markup_ran(alice.page)

    # bob gets mallory's delivery from alice (who vouches for mallory's key): as text there too.
    open_wall(bob.page, alice.handle)
    on_bob = post_article(bob.page, alice.handle, "mallory was here")
    expect(on_bob).to_have_count(1, timeout=PEER_MS)
    assert DELIVERED_XSS in on_bob.text_content()
    expect(wall(bob.page, alice.handle).get_by_text(FORGED_DELIVERY)).to_have_count(0)
    _no_markup_ran(bob.page)

    # Every refusal was logged with its reason.
    dropped = "\n".join(line for line in browser_log.lines if "dropped a frame from @" + mallory.handle in line)
    for reason in (
        f"by @{bob.handle}: signature does not verify",  # the forged author
        "signature does not verify",  # the broken signature
        f"belongs to @{alice.handle}'s wall",
        "which only its owner serves",
        f"claiming @{bob.handle} wrote it",
        "unknown frame type",
        "frame is not an object",
        "frame too large",
        "a second hello",
        f"hello claims to be @{bob.handle}",
        "proof out of turn",
        "malformed sync",
        "timestamp in the future",
    ):
        assert reason in dropped, f"no drop logged for {reason!r}:\n{dropped}"
    assert dropped.count("signature does not verify") >= 3, dropped
    # "x"*15000, null, [1, 2, 3], 42 and "{not json" (which PeerJS itself could not parse).
    assert dropped.count("frame is not an object") >= 5, dropped

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# Runs in a stranger's page: OFFER frames through the broker whose payloads no PeerJS client makes.
BOGUS_OFFERS = """
async ({ me, to, timeoutMs }) => {
  const peer = new peerjs.Peer(me, {
    host: location.hostname, port: Number(location.port), path: "/", secure: false, config: { iceServers: [] },
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the Peer did not open")), timeoutMs);
    peer.on("open", () => { clearTimeout(timer); resolve(); });
  });
  for (const serialization of ["evil", "constructor"]) {
    peer.socket.send({ type: "OFFER", dst: to, payload: {
      type: "data", connectionId: `dc_${serialization}`, serialization, reliable: true,
      sdp: { type: "offer", sdp: "v=0" },
    } });
  }
}
"""


def test_a_strangers_bogus_offer_throws_nothing_in_the_page(sign_up, live_server_url, browser_log: BrowserLog):
    """Anyone logged in can send alice OFFER frames; malformed ones must not throw in her page.

    Proves: the signaling path from a stranger cannot raise uncaught errors in the app (the
    broker refuses OFFERs naming a serialization PeerJS lacks), and alice stays online.
    """
    alice = sign_up("alice")
    expect_online(alice.page)
    stranger = sign_up("mallory", bypass_csp=True)
    page = stranger.page
    page.goto(f"{live_server_url}/api/ice")
    page.add_script_tag(path=str(PEERJS_CLIENT))
    page.evaluate(BOGUS_OFFERS, {"me": stranger.handle, "to": alice.handle, "timeoutMs": PEER_MS})
    alice.page.wait_for_timeout(1_500)
    expect_online(alice.page)
    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
