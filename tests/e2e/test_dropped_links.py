"""A friend's link dropping in the middle of a catch-up or a photo: it resumes, nothing comes twice.

The link is a real WebRTC connection between two apps, cut from bob's page by closing the
RTCPeerConnection under his data channel: whatever was still in flight is lost, both apps see
their channel close, and they reconnect by themselves (alice redials after her retry delay).

bob's pages record, below the app (``WIRE``, installed before the app runs): the ``sync`` and
``blob-get`` frames they send, the ``events`` frames and photo chunks each data channel delivers,
and every event written to the store. That is how the tests see where a resumed transfer starts,
and that nothing already held came or was written again.

1. Catch-up: bob is away while alice's wall grows by 3,000 signed posts (written into her store by
   the app's own code, bench/seed/seed.ts, as the catch-up benchmark does). alice's page sends
   through a paced channel (a slow link, ~300 KB/s), so that the cut falls while most of the wall
   is still to cross the wire, not after it has all arrived and only waits in bob's page. The cut
   comes the moment bob's store holds the second catch-up write (the first, FIRST_WRITE, holds
   200 events and lands as the frames come; the second, CATCH_UP_WRITE, 2,000, takes long
   enough that more frames are in bob's page, unstored, when it lands).
2. Photo: bob opens alice's full-size photo (about 1.4 MB, 22 chunks of 64 KiB), her page paced
   at ~1 MB/s; the link is cut as his page receives the photo's 8th chunk.
"""

from __future__ import annotations

import base64
import subprocess
from collections import Counter
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.harness import ROOT, BrowserLog
from tests.e2e.test_photos import (
    MAKE_IMAGE,
    decoded,
    expect_full_size,
    file,
    lightbox,
    photo_refs,
    post_with_photos,
    shows,
    stored_blobs,
    tile,
    tile_img,
)
from tests.e2e.ui import (
    DESKTOP,
    PEER_MS,
    befriend,
    come_online,
    expect_friend,
    expect_online,
    go,
    go_offline,
    open_wall,
    post_article,
)

ESBUILD = ROOT / "frontend" / "node_modules" / ".bin" / "esbuild"
SEED = ROOT / "bench" / "seed" / "seed.ts"
CHUNK = 64 * 1024  # frontend/src/media/chunks.ts

# More than one catch-up write: part of the wall is stored when the link is cut, part is not.
POSTS = 3_000

# Installed in alice's pages before the app runs: every data channel sends at most RATE bytes a
# second, in order, as a slow network would. What is still queued when the channel closes is lost.
# (Without it, a cut would come after everything had reached bob's page: Chromium still delivers
# what it has received when the connection under a channel closes.)
SLOW_LINK = """
(() => {
  if (window.__slowLink) return;
  window.__slowLink = true;
  const RATE = %d;
  const TICK_MS = 10;
  const send = RTCDataChannel.prototype.send;
  const queues = new WeakMap();
  const sizeOf = (data) => (typeof data === "string" ? data.length : data.byteLength ?? data.size ?? 0);
  const pump = (channel, q) => {
    q.timer = null;
    if (channel.readyState !== "open") { q.items = []; return; }
    q.budget = Math.min(q.budget + (RATE * TICK_MS) / 1000, RATE / 10);
    while (q.items.length && q.budget > 0) {
      const data = q.items.shift();
      q.budget -= sizeOf(data);
      send.call(channel, data);
    }
    if (q.items.length) q.timer = setTimeout(() => pump(channel, q), TICK_MS);
  };
  RTCDataChannel.prototype.send = function (data) {
    if (this.readyState !== "open") return send.call(this, data);  // throws, as it would
    let q = queues.get(this);
    if (!q) queues.set(this, (q = { items: [], budget: 0, timer: null }));
    q.items.push(data);
    if (!q.timer) pump(this, q);
  };
})();
"""

WIRE = """
(() => {
  if (window.__wire) return;
  const wire = (window.__wire = { channels: [], sent: [], puts: [], cutAt: null, cutAfter: null });
  const now = () => Math.round(performance.now());
  const frameOf = (data) => {
    if (typeof data !== "string" || !/^\\{"t":"(sync|events|blob-get)"/.test(data)) return null;
    try { return JSON.parse(data); } catch { return null; }
  };
  const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const watch = (pc, channel) => {
    const entry = { pc, channel, opened: now(), closed: null, events: [], chunks: [] };
    wire.channels.push(entry);
    channel.addEventListener("message", (message) => {
      const data = message.data;
      if (data instanceof ArrayBuffer && data.byteLength >= 40) {
        const hash = hex(new Uint8Array(data, 0, 32));
        const chunk = { hash, offset: new DataView(data).getFloat64(32), size: data.byteLength - 40 };
        entry.chunks.push({ ...chunk, at: now() });
        // Cut as the page receives the n-th chunk of the photo named by window.__wire.cutAfter.
        if (wire.cutAfter?.hash === chunk.hash && --wire.cutAfter.chunks === 0) wire.cut();
        return;
      }
      const frame = frameOf(data);
      if (frame?.t !== "events") return;
      const seqs = frame.events.map((e) => e.seq);
      entry.events.push({ wall: frame.wall, seqs, signed: typeof frame.bsig === "string", at: now() });
    });
    channel.addEventListener("close", () => { entry.closed = now(); });
  };
  const Real = window.RTCPeerConnection;
  const create = Real.prototype.createDataChannel;
  Real.prototype.createDataChannel = function (...args) {
    const channel = create.apply(this, args);
    watch(this, channel);
    return channel;
  };
  window.RTCPeerConnection = class extends Real {
    constructor(...args) {
      super(...args);
      this.addEventListener("datachannel", (event) => watch(this, event.channel));
    }
  };
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    const frame = frameOf(data);
    if (frame) wire.sent.push({ ...frame, channel: wire.channels.findIndex((c) => c.channel === this), at: now() });
    return send.call(this, data);
  };
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (value, ...rest) {
    if (this.name === "events" && typeof value?.id === "string") wire.puts.push([value.id, value.wall]);
    return put.call(this, value, ...rest);
  };
  // The network goes: the connection under every open channel closes, with what was in flight.
  wire.cut = () => {
    wire.cutAt = now();
    for (const c of wire.channels) if (c.channel.readyState === "open") c.pc.close();
  };
})();
"""

# What bob's page noted, without the live objects.
WIRE_NOTES = """
() => ({
  sent: window.__wire.sent,
  puts: window.__wire.puts,
  cutAt: window.__wire.cutAt,
  channels: window.__wire.channels.map(({ opened, closed, events, chunks }) => ({ opened, closed, events, chunks })),
})
"""

# A wall's events in a store, opened afresh (the app's own connection is left alone).
OPEN_WALL = """
  const open = await new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const read = () => new Promise((resolve, reject) => {
    const q = open.transaction("events", "readonly").objectStore("events").index("wall").getAll(IDBKeyRange.only(wall));
    q.onsuccess = () => resolve(q.result);
    q.onerror = () => reject(q.error);
  });
"""

WALL_EVENTS = f"""
async ({{ db, wall }}) => {{
  {OPEN_WALL}
  try {{
    return (await read()).map((e) => [e.id, e.seq ?? null]);
  }} finally {{
    open.close();
  }}
}}
"""

# Waits until a wall holds at least ``count`` events and has settled: its owner's friend list is
# on it, and every place is signed by its owner. Returns how many events it holds.
SETTLED = f"""
async ({{ db, wall, count, timeoutMs }}) => {{
  {OPEN_WALL}
  const deadline = performance.now() + timeoutMs;
  try {{
    for (;;) {{
      const events = await read();
      const settled = events.some((e) => e.kind === "friends") && events.every((e) => e.seq !== undefined && e.osig);
      if (settled && events.length >= count) return events.length;
      if (performance.now() > deadline) throw new Error(`@${{wall}}'s wall: ${{events.length}} events, not settled`);
      await new Promise((r) => setTimeout(r, 100));
    }}
  }} finally {{
    open.close();
  }}
}}
"""

# Watches bob's store and cuts the link the moment it holds more of the wall than ``before``
# (a catch-up write beyond it landed); returns the places held then, read in the same transaction
# as the count that decided it.
CUT_WHEN_STORED = """
async ({ db, wall, before, timeoutMs }) => {
  const open = await new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const seqs = await new Promise((resolve, reject) => {
        const index = open.transaction("events", "readonly").objectStore("events").index("wall");
        const count = index.count(IDBKeyRange.only(wall));
        count.onerror = () => reject(count.error);
        count.onsuccess = () => {
          if (count.result <= before) return resolve(null);
          window.__wire.cut();
          const all = index.getAll(IDBKeyRange.only(wall));
          all.onerror = () => reject(all.error);
          all.onsuccess = () => resolve(all.result.map((e) => e.seq));
        };
      });
      if (seqs) return { seqs, at: window.__wire.cutAt };
      if (performance.now() > deadline) throw new Error(`nothing more of @${wall}'s wall stored in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    open.close();
  }
}
"""


def settled(page: Page, db: str, wall: str, count: int = 0) -> int:
    return page.evaluate(SETTLED, {"db": db, "wall": wall, "count": count, "timeoutMs": PEER_MS})


def seed_bundle(directory: Path) -> str:
    """bench/seed/seed.ts with the app's own modules, bundled for injection into a page."""
    out = directory / "seed.js"
    subprocess.run(
        [str(ESBUILD), str(SEED), "--bundle", "--format=iife", "--target=chrome110", f"--outfile={out}"],
        cwd=ROOT / "frontend",
        check=True,
    )
    return out.read_text()


def test_a_catch_up_cut_mid_way_resumes_from_the_cursor(sign_up, live_server_url, tmp_path, browser_log: BrowserLog):
    """bob's link to alice drops after part of her wall is stored: he resumes from there and ends with each event once.

    Proves: with a real connection cut under the catch-up (bob had some but not all of the new
    posts stored, and most were still to cross the wire), both apps reconnect by themselves;
    the catch-up that follows asks for alice's wall since the place bob had stored, not from
    the start, and brings only what lies beyond it; bob's store ends with exactly alice's
    events, each place 1..n once, and none was written to it twice.
    """
    alice = sign_up("alice", bypass_csp=True)  # the seeding script is injected as a <script>
    bob = sign_up("bob")
    expect_online(alice.page)
    expect_online(bob.page)
    befriend(alice, bob)
    db_alice, db_bob = f"peerwall-{alice.handle.lower()}", f"peerwall-{bob.handle.lower()}"
    # alice's friend list lands on her wall once the friendship settles: bob holds it before he
    # leaves, so that nothing of hers but the seeded posts waits for him.
    before = settled(bob.page, db_bob, alice.handle)
    go(bob.page, "/friends")  # bob comes back there: no wall of thousands of posts to render
    go_offline(bob)
    expect_friend(alice.page, bob.handle, online=False)

    alice.page.add_script_tag(content=seed_bundle(tmp_path))
    seeded = alice.page.evaluate("([h, n]) => window.peerwallSeed(h, n)", [alice.handle, POSTS])
    assert seeded["firstSeq"] == before + 1, (seeded, before)
    total = seeded["lastSeq"]
    theirs = dict(alice.page.evaluate(WALL_EVENTS, {"db": db_alice, "wall": alice.handle}))
    assert len(theirs) == total

    # Her app reads the seeded wall as it loads (the seed wrote each place signed, as the app
    # does): once it is online, her wall holds just what bob will catch up.
    alice.context.add_init_script(script=SLOW_LINK % 300_000)
    alice.page.reload()
    expect_online(alice.page)
    settled(alice.page, db_alice, alice.handle, total)
    assert dict(alice.page.evaluate(WALL_EVENTS, {"db": db_alice, "wall": alice.handle})) == theirs

    bob.context.add_init_script(script=WIRE)
    page = come_online(bob, live_server_url, "/friends")
    # The cut comes as the second write lands: the first (200 events) lands while the slow link
    # has brought little more, the second (2,000) while more batches wait in bob's page.
    second_write = before + 1_000
    cut = page.evaluate(
        CUT_WHEN_STORED, {"db": db_bob, "wall": alice.handle, "before": second_write, "timeoutMs": PEER_MS}
    )
    stored_at_cut = sorted(cut["seqs"])
    cursor = len(stored_at_cut)

    settled(page, db_bob, alice.handle, total)
    expect_friend(page, alice.handle)
    page.wait_for_timeout(500)  # anything written twice would land now
    notes = page.evaluate(WIRE_NOTES)
    held = page.evaluate(WALL_EVENTS, {"db": db_bob, "wall": alice.handle})

    # Each side asks again once it trusts the other; the second ask of a link gets no answer.
    # ``since`` is a cursor per stream of the wall; alice's one device wrote all of it.
    asked = {
        (s["channel"], sum(s["since"].values()))
        for s in notes["sent"]
        if s["t"] == "sync" and s["wall"] == alice.handle
    }
    (first, since_first), (second, since_second) = sorted(asked)
    delivered = [seq for batch in notes["channels"][first]["events"] for seq in batch["seqs"]]
    again = [seq for batch in notes["channels"][second]["events"] for seq in batch["seqs"]]

    # Cut mid-way: part of the new posts stored, more delivered, and the rest never reached bob.
    assert stored_at_cut == list(range(1, cursor + 1)), "bob's store held a gap when the link was cut"
    assert before < cursor < total, (before, cursor, total)
    assert since_first == before, sorted(asked)
    assert delivered == list(range(before + 1, before + len(delivered) + 1)), (delivered[:5], len(delivered))
    assert cursor < before + len(delivered) < total, (cursor, len(delivered), total)

    # The catch-up after the cut asked from bob's cursor, on a new link, and got what lay beyond.
    assert notes["channels"][second]["opened"] > cut["at"], (notes["channels"][second], cut["at"])
    assert since_second == cursor, sorted(asked)
    assert again == list(range(cursor + 1, total + 1)), (again[:5], len(again))

    # alice signed every batch of her wall as a whole, and bob's page checked them in its Worker.
    batches = [b for c in (first, second) for b in notes["channels"][c]["events"]]
    assert batches and all(b["signed"] for b in batches), [b for b in batches if not b["signed"]][:3]
    assert any(w.url.endswith("/decodeWorker.js") for w in page.workers), [w.url for w in page.workers]

    # Exactly alice's events, each place once, each written once.
    assert dict(held) == theirs
    assert sorted(seq for _, seq in held) == list(range(1, total + 1))
    written = Counter(event_id for event_id, wall in notes["puts"] if wall == alice.handle)
    assert set(written) == {event_id for event_id, seq in theirs.items() if seq > before}
    assert max(written.values()) == 1, written.most_common(3)

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


def test_a_photo_cut_mid_way_resumes_from_the_byte(sign_up, browser_log: BrowserLog):
    """bob's link to alice drops while her full-size photo comes in: he asks for the rest, from the byte he had.

    Proves: with a real connection cut in the middle of a photo (bob's page had some of its
    chunks, the others were lost in flight), both apps reconnect by themselves and the transfer
    goes on: bob asks again from exactly the bytes he had kept, alice (the app, not a script)
    sends from there, every byte of the photo reaches bob's page once after the last one he
    kept, and the photo he stores and shows is alice's, byte for byte.
    """
    alice = sign_up("alice", **DESKTOP)
    bob = sign_up("bob", **DESKTOP)
    alice.context.add_init_script(script=SLOW_LINK % 1_000_000)
    alice.page.reload()
    bob.context.add_init_script(script=WIRE)
    bob.page.reload()
    expect_online(alice.page)
    expect_online(bob.page)
    befriend(alice, bob)

    # A noisy photo at the size the app keeps (2048 px), so that it takes many chunks.
    options = {"w": 2048, "h": 1365, "hue": 300, "label": "7", "type": "image/jpeg", "noise": 120, "quality": 0.9}
    photo = base64.b64decode(alice.page.evaluate(MAKE_IMAGE, {**options, "textAngle": 0}))
    text = "A big one, for the wire"
    open_wall(alice.page, alice.handle, me=alice.handle)
    post_with_photos(alice.page, alice.handle, text, [file("big.jpg", photo, "image/jpeg")])
    [ref] = photo_refs(alice, text)
    size = stored_blobs(alice)[ref["full"]]["size"]
    chunks = -(-size // CHUNK)
    assert chunks >= 16, f"the photo is {size} bytes: too few chunks to cut in the middle"

    open_wall(bob.page, alice.handle)
    article = post_article(bob.page, alice.handle, text)
    expect(article).to_be_visible(timeout=PEER_MS)
    decoded(tile_img(article, 1, 1, alice.handle))  # the thumbnail is here: only the full image is to come
    bob.page.evaluate("(hash) => { window.__wire.cutAfter = { hash, chunks: 8 }; }", ref["full"])
    tile(article, 1, 1, alice.handle).click()
    dialog = lightbox(bob.page, 1, 1)
    assert expect_full_size(dialog, 1, 1, alice.handle) == (2048, 1365)
    notes = bob.page.evaluate(WIRE_NOTES)

    gets = [(s["channel"], s["from"]) for s in notes["sent"] if s["t"] == "blob-get" and s["hash"] == ref["full"]]
    (first, start), (second, resumed) = gets[:2]
    assert start == 0 and second != first, gets
    before_cut = [c for c in notes["channels"][first]["chunks"] if c["hash"] == ref["full"]]
    after = [c for c in notes["channels"][second]["chunks"] if c["hash"] == ref["full"]]

    # Cut mid-way: bob's page had part of the photo, in order, and the rest never reached it.
    assert [c["offset"] for c in before_cut] == [i * CHUNK for i in range(len(before_cut))]
    kept = sum(c["size"] for c in before_cut)
    assert 0 < kept < size, (kept, size)
    assert notes["channels"][second]["opened"] > notes["cutAt"]

    # The transfer went on from the byte bob had, and brought each remaining byte once.
    assert resumed == kept, (resumed, kept, size)
    assert [c["offset"] for c in after] == list(range(resumed, size, CHUNK)), [c["offset"] for c in after]
    assert resumed + sum(c["size"] for c in after) == size
    assert len(gets) == 2, gets

    # What bob keeps and shows is alice's photo.
    held = stored_blobs(bob)
    assert held[ref["full"]]["size"] == size
    assert shows(dialog.locator("img.lightbox-img:not(.preview)"), alice, ref["full"])

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
