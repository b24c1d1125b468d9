"""Photos between friends: posted, downscaled, fetched by hash in chunks, verified, cached, backed up.

The images are made by the test (an OffscreenCanvas in a blank page, read back as bytes): a
3000x2000 JPEG (downscaled to 2048 px on its long side when posted), a 1200x900 PNG, a 900x1200
JPEG, and a JPEG whose pixels lie on their side with an EXIF orientation that stands them up.
Each carries a big number, so a screenshot shows which one is where.

Whether an image really shows is read from the <img> element (``complete`` and ``naturalWidth``),
and which image it shows from its pixels (the page's CSP forbids fetching its blob: URL back):
the same, pixel for pixel, as the bytes a store keeps under the photo's hash. What a browser
keeps is read from its IndexedDB store ``peerwall-<handle>``, object store ``blobs``: every
record there must hash to its key.

The hostile friend mallory speaks the peer protocol by hand, as in test_hostile_friend.py: the
official PeerJS client on the same-origin page /api/ice (her context bypasses the CSP), JSON
text frames and binary blob chunks (32 hash bytes, a float64 big-endian offset, the data) on one
"raw" DataConnection.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e import harness
from tests.e2e.harness import PEERJS_CLIENT, SCREENSHOTS, BrowserLog, User, screenshot
from tests.e2e.peer_js import ENCODING_JS, LOCATE_JS, WAIT_FOR_JS
from tests.e2e.ui import (
    DESKTOP,
    PEER_MS,
    accept_request,
    befriend,
    come_online,
    confirm,
    expect_friend,
    expect_online,
    export_backup,
    go,
    go_offline,
    import_backup_at_setup,
    open_wall,
    post_article,
    wall,
)

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

# --- test images -------------------------------------------------------------------------------

# Runs in a blank page: a gradient, translucent discs, optional noise (so that the file has some
# weight), a big label; returns the encoded file in base64.
MAKE_IMAGE = """
async ({ w, h, hue, label, type, noise, quality, textAngle }) => {
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext("2d");
  const grad = g.createLinearGradient(0, 0, w, h);
  grad.addColorStop(0, `hsl(${hue},70%,62%)`);
  grad.addColorStop(1, `hsl(${(hue + 70) % 360},65%,28%)`);
  g.fillStyle = grad;
  g.fillRect(0, 0, w, h);
  let seed = (hue * 2654435761) >>> 0 || 1;
  const rnd = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
  for (let i = 0; i < 40; i++) {
    g.fillStyle = `hsla(${Math.floor(rnd() * 360)},80%,60%,0.45)`;
    g.beginPath();
    g.arc(rnd() * w, rnd() * h, (0.03 + rnd() * 0.12) * Math.max(w, h), 0, 2 * Math.PI);
    g.fill();
  }
  if (noise) {
    const img = g.getImageData(0, 0, w, h);
    const d = img.data;
    for (let i = 0; i < d.length; i += 4) { const n = (rnd() - 0.5) * noise; d[i] += n; d[i + 1] += n; d[i + 2] += n; }
    g.putImageData(img, 0, 0);
  }
  g.save();
  g.translate(w / 2, h / 2);
  g.rotate(textAngle || 0);
  g.font = `bold ${Math.floor(Math.min(w, h) / 2.5)}px sans-serif`;
  g.textAlign = "center";
  g.textBaseline = "middle";
  g.lineWidth = Math.max(2, Math.min(w, h) / 80);
  g.strokeStyle = "black";
  g.fillStyle = "white";
  g.fillText(label, 0, 0);
  g.strokeText(label, 0, 0);
  g.restore();
  const blob = await c.convertToBlob({ type, quality });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
"""


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """``jpeg`` with an APP1 Exif segment right after SOI holding only the Orientation tag."""
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def tiny_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, written by hand (zlib): for tests that need many small images."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def file(name: str, data: bytes, mime: str) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


@pytest.fixture(scope="module")
def images(browser: Browser) -> dict[str, dict]:
    """The test's photos as set_input_files payloads: big (3000x2000 JPEG), wide (1200x900 PNG),
    tall (900x1200 JPEG), sideways (1600x800 pixels, EXIF orientation 6: shown 800x1600)."""
    context = browser.new_context()
    try:
        page = context.new_page()

        def make(**options) -> bytes:
            options = {"noise": 0, "quality": 0.9, "textAngle": 0, **options}
            return base64.b64decode(page.evaluate(MAKE_IMAGE, options))

        big = make(w=3000, h=2000, hue=200, label="1", type="image/jpeg", noise=24)
        wide = make(w=1200, h=900, hue=20, label="2", type="image/png")
        tall = make(w=900, h=1200, hue=120, label="3", type="image/jpeg", noise=24)
        # Drawn lying on its side (text turned a quarter to the left); orientation 6 turns it upright.
        sideways = with_exif_orientation(
            make(w=1600, h=800, hue=280, label="4", type="image/jpeg", noise=16, textAngle=-3.14159265 / 2), 6
        )
    finally:
        context.close()
    for data in (big, wide, tall, sideways):
        assert 200_000 < len(data) < 2_500_000, len(data)
    return {
        "big": file("big-3000x2000.jpg", big, "image/jpeg"),
        "wide": file("wide-1200x900.png", wide, "image/png"),
        "tall": file("tall-900x1200.jpg", tall, "image/jpeg"),
        "sideways": file("sideways-exif6.jpg", sideways, "image/jpeg"),
    }


# --- what the pages show and keep ----------------------------------------------------------------

# Installed in pages before the app runs: remembers every transient status text that appeared
# (progress of a transfer, "Preparing…", waiting), which may be gone before a test can look.
RECORDER = """
(() => {
  if (window.__seen) return;
  const seen = (window.__seen = []);
  const wanted = /Sending photo|Loading photo|Preparing \\d|Loading full size|not here yet|could not be fetched/;
  const note = (node) => {
    const text = (node?.nodeType === 1 ? node : node?.parentElement)?.textContent?.trim();
    if (text && text.length < 300 && wanted.test(text) && !seen.includes(text) && seen.length < 1000) seen.push(text);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") note(r.target);
      for (const n of r.addedNodes) note(n);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""


def record_statuses(user: User) -> None:
    """From now on, every page of ``user`` remembers the status texts it showed (see RECORDER)."""
    user.context.add_init_script(script=RECORDER)
    for page in user.context.pages:
        page.evaluate(RECORDER)


def seen(page: Page, pattern: str) -> list[str]:
    return [text for text in page.evaluate("() => window.__seen ?? []") if re.search(pattern, text)]


def decoded(img: Locator, timeout: int = PEER_MS) -> tuple[int, int]:
    """Waits until ``img`` (one element) has loaded and decoded; its natural width and height."""
    expect(img).to_have_count(1, timeout=timeout)
    img.page.wait_for_function(
        "(el) => el.complete && el.naturalWidth > 0",
        arg=img.element_handle(timeout=timeout),
        timeout=timeout,
    )
    # The element may have been swapped (a thumbnail for the full image): read it afresh.
    size = img.evaluate("(el) => el.complete && el.naturalWidth > 0 ? [el.naturalWidth, el.naturalHeight] : null")
    assert size, "the image is not decoded"
    return size[0], size[1]


# The page's CSP (connect-src 'self') forbids fetching a blob: URL back, so what an <img> shows is
# compared by its pixels: drawn on a canvas at natural size and hashed, against the same for the
# bytes a store keeps under a hash (or bytes the test hands in), decoded by the same browser.
PIXEL_DIGEST = """
  const digest = async (source, w, h) => {
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext("2d");
    g.drawImage(source, 0, 0);
    const data = g.getImageData(0, 0, w, h).data;
    return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
  };
"""

IMG_PIXELS = f"""
async (el) => {{
  {PIXEL_DIGEST}
  await el.decode();
  return await digest(el, el.naturalWidth, el.naturalHeight);
}}
"""

ALL_IMG_PIXELS = f"""
async (els) => {{
  {PIXEL_DIGEST}
  const out = [];
  for (const el of els) {{
    if (!el.complete || !el.naturalWidth) continue;
    out.push(await digest(el, el.naturalWidth, el.naturalHeight));
  }}
  return out;
}}
"""

BYTES_PIXELS = f"""
async ({{ name, hash, b64 }}) => {{
  {PIXEL_DIGEST}
  let blob;
  if (b64) {{
    blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]);
  }} else {{
    const request = (r) => new Promise((resolve, reject) => {{
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }});
    const db = await request(indexedDB.open(name));
    try {{
      const record = await request(db.transaction("blobs").objectStore("blobs").get(hash));
      if (!record) return null;
      blob = new Blob([record.bytes], {{ type: record.mime }});
    }} finally {{
      db.close();
    }}
  }}
  const bitmap = await createImageBitmap(blob);
  return await digest(bitmap, bitmap.width, bitmap.height);
}}
"""


def shows(img: Locator, user: User, hash_: str) -> bool:
    """Whether ``img`` shows the very image ``user``'s browser keeps under ``hash_`` (pixel for pixel)."""
    kept = user.page.evaluate(BYTES_PIXELS, {"name": f"peerwall-{user.handle.lower()}", "hash": hash_, "b64": None})
    assert kept is not None, f"@{user.handle} keeps nothing under {hash_[:12]}"
    return img.evaluate(IMG_PIXELS) == kept


def undecoded_images(scope: Locator) -> int:
    """How many <img> elements in ``scope`` are loaded but show nothing (a broken image)."""
    return scope.locator("img").evaluate_all("(els) => els.filter((el) => el.complete && el.naturalWidth === 0).length")


STORED_BLOBS = """
async (name) => {
  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const db = await request(indexedDB.open(name));
  try {
    const all = await request(db.transaction("blobs").objectStore("blobs").getAll());
    const hex = async (buf) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", buf))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    return await Promise.all(all.map(async (b) => ({
      hash: b.hash, mine: b.mine, size: b.size, mime: b.mime, bytes: b.bytes.byteLength, actual: await hex(b.bytes),
    })));
  } finally {
    db.close();
  }
}
"""

POSTS_WITH_PHOTOS = """
async (name) => {
  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const db = await request(indexedDB.open(name));
  try {
    const all = await request(db.transaction("events").objectStore("events").getAll());
    return all.filter((e) => e.kind === "post" && e.body?.photos?.length)
      .map((e) => ({ text: e.body.text, photos: e.body.photos }));
  } finally {
    db.close();
  }
}
"""


def stored_blobs(user: User) -> dict[str, dict]:
    """The photos ``user``'s browser keeps, by hash; each checked to hash to its name."""
    records = user.page.evaluate(STORED_BLOBS, f"peerwall-{user.handle.lower()}")
    for record in records:
        assert record["actual"] == record["hash"], f"@{user.handle} keeps bytes under a hash they do not have: {record}"
        assert record["bytes"] == record["size"], record
    return {record["hash"]: record for record in records}


def photo_refs(user: User, text: str) -> list[dict]:
    """The photo references ({full, thumb, mime, w, h}) of the post with ``text`` that ``user`` holds."""
    posts = user.page.evaluate(POSTS_WITH_PHOTOS, f"peerwall-{user.handle.lower()}")
    found = [p["photos"] for p in posts if p["text"] == text]
    assert len(found) == 1, f"@{user.handle} holds {len(found)} posts {text!r} with photos"
    return found[0]


def grid(article: Locator, count: int) -> Locator:
    return article.get_by_role("list", name=f"{count} photo{'s' if count != 1 else ''}", exact=True)


def tile(scope: Locator, index: int, count: int, author: str) -> Locator:
    """The stored tile of photo ``index`` (1-based): a button named by its image."""
    return scope.get_by_role("button", name=f"Photo {index} of {count} by @{author}", exact=True)


def tile_img(scope: Locator, index: int, count: int, author: str) -> Locator:
    return scope.get_by_role("img", name=f"Photo {index} of {count} by @{author}", exact=True)


def lightbox(page: Page, index: int, count: int) -> Locator:
    return page.get_by_role("dialog", name=f"Photo {index} of {count}", exact=True)


def full_image(dialog: Locator) -> Locator:
    """The full-size image of the lightbox (not the thumbnail it shows, scaled up, while loading)."""
    return dialog.locator("img.lightbox-img:not(.preview)")


def expect_full_size(dialog: Locator, index: int, count: int, author: str) -> tuple[int, int]:
    expect(dialog.get_by_role("progressbar", name="Loading full size")).to_have_count(0, timeout=PEER_MS)
    expect(dialog.locator("img.preview")).to_have_count(0, timeout=PEER_MS)
    img = full_image(dialog)
    expect(img).to_have_accessible_name(f"Photo {index} of {count} by @{author}")
    return decoded(img)


def add_photos(page: Page, owner: str, files: list[dict]) -> None:
    wall(page, owner).get_by_label("Add photo").set_input_files(files=files)


def post_with_photos(page: Page, owner: str, text: str, files: list[dict]) -> Locator:
    """Writes ``text`` with ``files`` on ``@owner``'s wall (the wall is shown); returns the article."""
    region = wall(page, owner)
    add_photos(page, owner, files)
    previews = region.get_by_role("list", name="Photos to post", exact=True)
    expect(previews.get_by_role("listitem")).to_have_count(len(files))
    for f in files:
        expect(previews.get_by_role("button", name=f"Remove {f['name']}", exact=True)).to_be_visible()
    region.get_by_role("textbox", name="New post").fill(text)
    region.get_by_role("button", name="Post", exact=True).click()
    article = post_article(page, owner, text)
    expect(article).to_be_visible(timeout=PEER_MS)
    expect(region.get_by_role("list", name="Photos to post")).to_have_count(0)
    expect(region.get_by_role("textbox", name="New post")).to_have_value("")
    return article


def viewport_shot(page: Page, name: str) -> Path:
    """A screenshot of what is on screen (a modal dialog is drawn over the viewport, not the page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# --- 1. the scenario of the issue ------------------------------------------------------------------


def test_photos_posted_for_an_offline_friend_reach_him_and_his_friends(
    sign_up, live_server_url, images, browser_log: BrowserLog
):
    """alice posts three photos on offline bob's wall; bob gets them when back, and carol from bob.

    Proves: choosing photos shows previews (with "Remove <name>") and "Preparing 3 photos…";
    the post is pending while bob is away, and alice sees her own thumbnails at once (they are on
    her disk); when bob comes back the post arrives, his browser fetches the thumbnails and, as
    the wall's owner, the full images, alice sees her sending progress and then "delivered"; bob
    opens the lightbox and gets the full image, the 3000x2000 photo downscaled to 2048x1365 and
    the others at their own size; carol, bob's friend but not alice's, gets the thumbnails and
    (only when she opens one) the full image from bob; every browser shows the very same bytes,
    keeps only bytes that hash to their names, and nothing throws.
    """
    name = "test_photos"
    alice = sign_up("alice", **DESKTOP)
    bob = sign_up("bob", **DESKTOP)
    carol = sign_up("carol", **PHONE)
    for user in (alice, bob, carol):
        expect_online(user.page)
        record_statuses(user)
    befriend(alice, bob)
    befriend(carol, bob)
    go_offline(bob)
    expect_friend(alice.page, bob.handle, online=False)

    text = "Three photos from the trip, bob!"
    files = [images["big"], images["wide"], images["tall"]]
    open_wall(alice.page, bob.handle)
    article = post_with_photos(alice.page, bob.handle, text, files)
    assert seen(alice.page, r"^Preparing 3 photos…$"), alice.page.evaluate("() => window.__seen")
    expect(article).to_contain_text("pending")
    photos = grid(article, 3)
    expect(photos.get_by_role("listitem")).to_have_count(3)
    for i in (1, 2, 3):
        expect(tile(article, i, 3, alice.handle)).to_be_visible()
        w, h = decoded(tile_img(article, i, 3, alice.handle), timeout=5_000)
        assert max(w, h) <= 400, (i, w, h)  # a thumbnail
    refs = photo_refs(alice, text)
    assert [(r["w"], r["h"]) for r in refs] == [(2048, 1365), (1200, 900), (900, 1200)], refs
    mine = stored_blobs(alice)
    assert {r["full"] for r in refs} | {r["thumb"] for r in refs} <= {h for h, b in mine.items() if b["mine"]}
    screenshot(alice.page, f"{name}-alice-pending-on-bobs-wall")

    come_online(bob, live_server_url)
    on_bob = post_article(bob.page, bob.handle, text)
    expect(on_bob).to_be_visible(timeout=PEER_MS)
    expect(on_bob).to_contain_text(f"@{alice.handle}")
    expect(grid(on_bob, 3).get_by_role("listitem")).to_have_count(3)
    for i in (1, 2, 3):
        w, h = decoded(tile_img(on_bob, i, 3, alice.handle))
        assert max(w, h) <= 400, (i, w, h)
    expect(article).to_contain_text("delivered", timeout=PEER_MS)
    expect(article).not_to_contain_text("pending")

    # bob keeps the full images too (he serves his wall), fetched without his asking.
    def bob_has_everything() -> bool:
        held = stored_blobs(bob)
        return all(r["full"] in held and r["thumb"] in held for r in refs)

    for _ in range(100):
        if bob_has_everything():
            break
        bob.page.wait_for_timeout(100)
    assert bob_has_everything(), "bob did not fetch the full images of his wall"
    # On bob's wall, so his to keep (he serves his wall): freeing space would spare them.
    assert all(b["mine"] for b in stored_blobs(bob).values()), "bob keeps the photos of his wall"
    sending = seen(alice.page, rf"^Sending photo [123] of 3( \(preview\))? to @{bob.handle} — \d+%$")
    assert sending, alice.page.evaluate("() => window.__seen")
    screenshot(bob.page, f"{name}-bob-wall-with-photos")

    # bob opens the big one: the full image, downscaled and in proportion, byte for byte alice's.
    tile(on_bob, 1, 3, alice.handle).click()
    dialog = lightbox(bob.page, 1, 3)
    expect(dialog).to_be_visible()
    for button in ("Close", "Previous", "Next"):
        expect(dialog.get_by_role("button", name=button, exact=True)).to_be_visible()
    assert expect_full_size(dialog, 1, 3, alice.handle) == (2048, 1365)
    assert shows(full_image(dialog), bob, refs[0]["full"])
    assert shows(full_image(dialog), alice, refs[0]["full"])  # the same pixels alice posted
    viewport_shot(bob.page, f"{name}-bob-lightbox")
    dialog.get_by_role("button", name="Next", exact=True).click()
    dialog = lightbox(bob.page, 2, 3)
    assert expect_full_size(dialog, 2, 3, alice.handle) == (1200, 900)
    bob.page.keyboard.press("ArrowRight")
    dialog = lightbox(bob.page, 3, 3)
    assert expect_full_size(dialog, 3, 3, alice.handle) == (900, 1200)
    bob.page.keyboard.press("Escape")
    expect(bob.page.get_by_role("dialog")).to_have_count(0)

    # carol is bob's friend only: the thumbnails come from bob, the full image when she asks.
    open_wall(carol.page, bob.handle)
    on_carol = post_article(carol.page, bob.handle, text)
    expect(on_carol).to_be_visible(timeout=PEER_MS)
    for i in (1, 2, 3):
        decoded(tile_img(on_carol, i, 3, alice.handle))
        assert shows(tile_img(on_carol, i, 3, alice.handle), carol, refs[i - 1]["thumb"])
    held = stored_blobs(carol)
    assert {r["thumb"] for r in refs} <= set(held)
    assert not {r["full"] for r in refs} & set(held), "carol fetched full images she did not open"
    screenshot(carol.page, f"{name}-carol-phone-bobs-wall")
    tile(on_carol, 1, 3, alice.handle).click()
    dialog = lightbox(carol.page, 1, 3)
    assert expect_full_size(dialog, 1, 3, alice.handle) == (2048, 1365)
    assert shows(full_image(dialog), carol, refs[0]["full"])
    viewport_shot(carol.page, f"{name}-carol-phone-lightbox")
    assert refs[0]["full"] in stored_blobs(carol)
    assert refs[1]["full"] not in stored_blobs(carol)
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect(carol.page.get_by_role("dialog")).to_have_count(0)
    # bob sent carol what she saw (alice, not her friend, had no part in it).
    assert seen(bob.page, rf"^Sending photo [123] of 3( \(preview\))? to @{carol.handle} — \d+%$"), bob.page.evaluate(
        "() => window.__seen"
    )

    for user in (alice, bob, carol):
        assert undecoded_images(user.page.locator("body")) == 0
        stored_blobs(user)
    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 2. the only source goes away ------------------------------------------------------------------


def test_a_full_image_waits_for_its_offline_source_and_then_loads_by_itself(
    sign_up, live_server_url, images, browser_log: BrowserLog
):
    """bob has alice's thumbnail; alice goes offline; the lightbox says so, then loads when she is back.

    Proves: a friend fetches only the thumbnail of a post until he opens it; while the only
    source of the full image is offline, the lightbox shows the thumbnail scaled up and "Full size
    not here yet: @alice is offline" (never a broken image); when alice comes back the full image
    arrives by itself. Also: a JPEG's EXIF orientation is applied when it is posted (pixels lying
    on their side are shown upright, 800x1600).
    """
    alice = sign_up("alice", **DESKTOP)
    bob = sign_up("bob", **DESKTOP)
    befriend(alice, bob)

    text = "Standing upright, whatever the camera says"
    open_wall(alice.page, alice.handle, me=alice.handle)
    mine = post_with_photos(alice.page, alice.handle, text, [images["sideways"]])
    expect(grid(mine, 1).get_by_role("listitem")).to_have_count(1)
    w, h = decoded(tile_img(mine, 1, 1, alice.handle))
    assert h > w, f"the EXIF orientation was not applied: {w}x{h}"
    [ref] = photo_refs(alice, text)
    assert (ref["w"], ref["h"]) == (800, 1600), ref

    open_wall(bob.page, alice.handle)
    on_bob = post_article(bob.page, alice.handle, text)
    expect(on_bob).to_be_visible(timeout=PEER_MS)
    w, h = decoded(tile_img(on_bob, 1, 1, alice.handle))
    assert (w, h) == (200, 400), (w, h)  # the thumbnail, upright
    held = stored_blobs(bob)
    assert ref["thumb"] in held and ref["full"] not in held
    go_offline(alice)
    expect_friend(bob.page, alice.handle, online=False)
    on_bob = post_article(open_wall(bob.page, alice.handle).page, alice.handle, text)
    tile(on_bob, 1, 1, alice.handle).click()
    dialog = lightbox(bob.page, 1, 1)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("status")).to_have_text(
        f"Full size not here yet: @{alice.handle} is offline", timeout=PEER_MS
    )
    preview = dialog.locator("img.lightbox-img.preview")
    assert decoded(preview) == (200, 400)
    assert undecoded_images(dialog) == 0
    expect(full_image(dialog)).to_have_count(0)
    viewport_shot(bob.page, "test_photos-bob-lightbox-waiting-for-alice")

    come_online(alice, live_server_url)
    assert expect_full_size(dialog, 1, 1, alice.handle) == (800, 1600)
    assert shows(full_image(dialog), bob, ref["full"])
    assert undecoded_images(dialog) == 0
    viewport_shot(bob.page, "test_photos-bob-lightbox-full-after-alice-came-back")

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 3. what the composer refuses, and freeing space -------------------------------------------------

STORAGE_RE = re.compile(
    r"^Your photos: ([\d.]+) (KB|MB)(?: · Friends' photos on your wall: ([\d.]+) (KB|MB))?"
    r" · Friends' photos kept here: ([\d.]+) (KB|MB)$"
)


def storage_figures(page: Page) -> tuple[float, float, float]:
    """Settings' "Your photos: … [· Friends' photos on your wall: …] · Friends' photos kept here: …", in KB."""
    go(page, "/settings")
    line = page.get_by_text(STORAGE_RE)
    expect(line).to_be_visible()
    match = STORAGE_RE.match(line.inner_text().strip())
    assert match, line.inner_text()
    scale = {"KB": 1, "MB": 1024}
    on_my_wall = float(match[3]) * scale[match[4]] if match[3] else 0.0
    return float(match[1]) * scale[match[2]], on_my_wall, float(match[5]) * scale[match[6]]


def free_space(page: Page) -> str:
    go(page, "/settings")
    confirm(page.locator(".photo-space"), "Free space", "Yes, free space")
    said = page.get_by_role("status").filter(has_text=re.compile(r"^(Freed|There was nothing to free)"))
    expect(said).to_be_visible()
    return said.inner_text()


def test_the_composer_refuses_what_is_not_a_photo_and_free_space_keeps_my_own(sign_up, images, browser_log: BrowserLog):
    """Files that are not photos are refused with a reason; Free space drops friends' photos, never mine.

    Proves: a text file and a PDF are refused in an alert naming each and are not added; at most
    10 photos go on a post (the 11th is left out, with a reason) and a chosen photo can be
    removed; a post of 9 photos shows 4 tiles, the last "+5"; Settings shows what my photos and
    friends' photos take; Free space removes friends' photos (bob's cache of alice's), which are
    fetched again when looked at, while the photos of my own wall stay (alice's, and bob's on her
    wall: she serves her wall to her friends).
    """
    alice = sign_up("alice", **DESKTOP)
    bob = sign_up("bob", **DESKTOP)
    befriend(alice, bob)
    open_wall(alice.page, alice.handle, me=alice.handle)
    region = wall(alice.page, alice.handle)

    add_photos(
        alice.page,
        alice.handle,
        [
            file("notes.txt", b"just some text\n", "text/plain"),
            file("report.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        ],
    )
    alert = region.get_by_role("alert")
    expect(alert).to_contain_text("notes.txt is not a JPEG, PNG, WebP or GIF image.")
    expect(alert).to_contain_text("report.pdf is not a JPEG, PNG, WebP or GIF image.")
    expect(region.get_by_role("list", name="Photos to post")).to_have_count(0)
    expect(region.get_by_role("button", name="Post", exact=True)).to_be_disabled()
    screenshot(alice.page, "test_photos-composer-refused-files")

    colours = [(200, 40 + 20 * i, 255 - 20 * i) for i in range(11)]
    eleven = [file(f"small-{i + 1}.png", tiny_png(64, 48, c), "image/png") for i, c in enumerate(colours)]
    add_photos(alice.page, alice.handle, eleven)
    expect(alert).to_have_text("A post can have at most 10 photos; 1 photo was left out.")
    previews = region.get_by_role("list", name="Photos to post", exact=True)
    expect(previews.get_by_role("listitem")).to_have_count(10)
    previews.get_by_role("button", name="Remove small-3.png", exact=True).click()
    expect(previews.get_by_role("listitem")).to_have_count(9)
    expect(previews.get_by_role("button", name="Remove small-3.png")).to_have_count(0)
    expect(region.get_by_role("alert")).to_have_count(0)
    text = "Nine little squares"
    region.get_by_role("textbox", name="New post").fill(text)
    region.get_by_role("button", name="Post", exact=True).click()
    article = post_article(alice.page, alice.handle, text)
    tiles = grid(article, 9).get_by_role("listitem")
    expect(tiles).to_have_count(4)
    expect(article.get_by_role("button", name=f"Photo 4 of 9 by @{alice.handle}, and 5 more photos")).to_be_visible()
    expect(tiles.nth(3)).to_contain_text("+5")
    alices_own = {h for h, b in stored_blobs(alice).items() if b["mine"]}
    # 9 full images and 9 thumbnails; a photo this small is its own thumbnail (the same bytes).
    assert len(alices_own) == 9, len(alices_own)

    # bob's photo on alice's wall: alice, its wall's owner, keeps it (full and thumbnail).
    bobs_text = "bob's photo for alice's wall"
    open_wall(bob.page, alice.handle)
    bobs = post_with_photos(bob.page, alice.handle, bobs_text, [images["tall"]])
    expect(bobs).to_contain_text("delivered", timeout=PEER_MS)
    [bobs_ref] = photo_refs(bob, bobs_text)
    on_alice = post_article(alice.page, alice.handle, bobs_text)
    decoded(tile_img(on_alice, 1, 1, bob.handle))
    for _ in range(100):
        if bobs_ref["full"] in stored_blobs(alice):
            break
        alice.page.wait_for_timeout(100)
    for _ in range(100):
        held = stored_blobs(alice)
        if all(held.get(bobs_ref[k], {}).get("mine") for k in ("full", "thumb")):
            break
        alice.page.wait_for_timeout(100)
    # On her wall, so hers to keep and serve: Free space will spare it.
    assert held[bobs_ref["full"]]["mine"] and held[bobs_ref["thumb"]]["mine"]

    # bob sees alice's nine (their thumbnails are cached in his browser).
    on_bob = post_article(bob.page, alice.handle, text)
    expect(on_bob).to_be_visible(timeout=PEER_MS)
    for i in (1, 2, 3, 4):
        decoded(tile_img(on_bob, i, 9, alice.handle))
    for _ in range(100):
        if sum(not b["mine"] for b in stored_blobs(bob).values()) >= 9:
            break
        bob.page.wait_for_timeout(100)
    bobs_cache = {h for h, b in stored_blobs(bob).items() if not b["mine"]}
    assert len(bobs_cache) == 9, len(bobs_cache)  # alice's thumbnails only

    mine_kb, _, cached_kb = storage_figures(bob.page)
    assert mine_kb > 100 and cached_kb > 0, (mine_kb, cached_kb)
    screenshot(bob.page, "test_photos-bob-settings-storage")
    said = free_space(bob.page)
    assert re.fullmatch(r"Freed \d+ KB\. Friends' photos will be fetched again when you look at them\.", said), said
    assert storage_figures(bob.page)[2] == 0
    assert not any(not b["mine"] for b in stored_blobs(bob).values()), "friends' photos are still kept"
    assert len(stored_blobs(bob)) == 2, "bob's own photo must stay"
    screenshot(bob.page, "test_photos-bob-settings-freed")
    # When bob looks again, the thumbnails come back from alice.
    on_bob = post_article(open_wall(bob.page, alice.handle).page, alice.handle, text)
    for i in (1, 2, 3, 4):
        decoded(tile_img(on_bob, i, 9, alice.handle))
    refetched = {h for h, b in stored_blobs(bob).items() if not b["mine"]}
    nine = photo_refs(alice, text)
    for i in (1, 2, 3, 4):
        assert nine[i - 1]["thumb"] in refetched
        assert shows(tile_img(on_bob, i, 9, alice.handle), bob, nine[i - 1]["thumb"])

    # alice frees space: her own photos stay; bob's on her wall count against bob, and are freed
    # (they come back from bob, their author, when she looks at them).
    mine_kb, bobs_kb, cached_kb = storage_figures(alice.page)
    assert mine_kb > 0 and bobs_kb > 0 and cached_kb == 0, (mine_kb, bobs_kb, cached_kb)
    free_space(alice.page)
    held = stored_blobs(alice)
    assert set(held) == alices_own, "Free space removed a photo of hers, or kept bob's"
    on_alice = post_article(open_wall(alice.page, alice.handle, me=alice.handle).page, alice.handle, text)
    for i in (1, 2, 3, 4):
        decoded(tile_img(on_alice, i, 9, alice.handle))
    decoded(tile_img(post_article(alice.page, alice.handle, bobs_text), 1, 1, bob.handle))
    screenshot(alice.page, "test_photos-alice-wall-after-freeing-space")

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 4. a hostile friend ------------------------------------------------------------------------------

# Runs in mallory's page (/api/ice, the official PeerJS client injected): an Ed25519 identity, a
# link to alice (dialed, and later the ones alice dials), a friend request, her wall with one post
# of two photos whose hashes are those of real images she holds, and a blob server that answers
# each hash as the test says: "evil" (other bytes, same size), "hold", "truncate" (half, no more)
# or "honest".
MALLORY = (
    """
async ({ me, alice, text, timeoutMs }) => {
"""
    + ENCODING_JS
    + LOCATE_JS
    + """  const hex = async (bytes) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const bytesOfHex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
  const png = async (w, h, colour, label, noise) => {
    const c = new OffscreenCanvas(w, h);
    const g = c.getContext("2d");
    g.fillStyle = colour;
    g.fillRect(0, 0, w, h);
    if (noise) {
      const img = g.getImageData(0, 0, w, h);
      for (let i = 0; i < img.data.length; i++) {
        if (i % 4 !== 3) img.data[i] = (img.data[i] + Math.random() * noise) | 0;
      }
      g.putImageData(img, 0, 0);
    }
    g.fillStyle = "white";
    g.font = `bold ${Math.floor(h / 3)}px sans-serif`;
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(label, w / 2, h / 2);
    return new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer());
  };

  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const key = b64(await crypto.subtle.exportKey("raw", pair.publicKey));
  const sign = async (t) =>
    b64(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(t)));
  const nonce = b64(crypto.getRandomValues(new Uint8Array(18)));

  // Real photos (noisy, so that they take several chunks), and a showable impostor for the first.
  const real = {
    thumbA: await png(360, 240, "#2a6", "A", 120), fullA: await png(720, 480, "#2a6", "A", 60),
    thumbB: await png(360, 240, "#26a", "B", 120), fullB: await png(720, 480, "#26a", "B", 60),
  };
  const hashes = {};
  const bytes = {};
  for (const [k, v] of Object.entries(real)) { hashes[k] = await hex(v); bytes[hashes[k]] = v; }
  const impostor = await png(360, 240, "#c00", "EVIL", 0);
  if (impostor.length >= real.thumbA.length) throw new Error("the impostor must be smaller than the real photo");
  const evil = new Uint8Array(real.thumbA.length);  // same size: the impostor, zero-padded (still decodes)
  evil.set(impostor);

  const response = await fetch("/api/ice", { credentials: "same-origin" });
  const { iceServers } = await response.json();
  const peer = new peerjs.Peer(me, {
    host: location.hostname, port: Number(location.port), path: "/", secure: false, config: { iceServers },
  });
  const m = {
    me, alice, key, hashes, peer, conn: null, inbox: [], gets: [], errors: [], closed: 0, links: 0,
    accepting: true, pending: [], held: [], modes: {},
    evilHash: await hex(evil), evilImpostorHash: await hex(impostor),
  };
  window.m = m;
  m.modes[hashes.thumbA] = "evil";
  m.modes[hashes.thumbB] = "hold";
  m.modes[hashes.fullA] = "honest";
  m.modes[hashes.fullB] = "honest";

  const send = (conn, frame) => conn.send(JSON.stringify(frame));
  const sendBytes = (conn, hash, data, from, upto) => {
    for (let offset = from; offset < upto; offset += 65536) {
      const part = data.subarray(offset, Math.min(upto, offset + 65536));
      const message = new Uint8Array(40 + part.length);
      message.set(bytesOfHex(hash), 0);
      new DataView(message.buffer).setFloat64(32, offset);  // big-endian
      message.set(part, 40);
      conn.send(message.buffer);
    }
  };
  m.serve = (conn, get) => {
    const mode = m.modes[get.hash];
    const data = bytes[get.hash];
    if (!mode || !data) return send(conn, { t: "blob-none", hash: get.hash, reason: "not shared with you" });
    if (mode === "hold") return m.held.push({ conn, get });
    send(conn, { t: "blob-info", hash: get.hash, size: data.length, mime: "image/png" });
    if (mode === "evil") sendBytes(conn, get.hash, evil, 0, evil.length);
    else if (mode === "truncate") sendBytes(conn, get.hash, data, 0, 65536);
    else sendBytes(conn, get.hash, data, get.from, data.length);
  };
  m.release = () => { for (const { conn, get } of m.held.splice(0)) m.serve(conn, get); };
"""
    + WAIT_FOR_JS
    + """
  // One link: hello on open, proof for alice's hello; a link made while mallory is "away" is held
  // unanswered until she accepts again.
  const attach = (conn, dialed) => {
    let hello = null;
    let greeted = false;
    let proved = false;
    const go = async () => {
      if (!m.accepting || !conn.open) return;
      if (!greeted) { greeted = true; send(conn, { t: "hello", v: 1, handle: me, key, nonce }); }
      if (hello && !proved) {
        proved = true;
        const proof = canonical({ p: "peerwall-proof", v: 1, nonce: hello.nonce, from: me, to: alice, key });
        send(conn, { t: "proof", sig: await sign(proof) });
        if (dialed) send(conn, { t: "friend-request" });
      }
    };
    m.pending.push(go);
    conn.on("open", () => { m.conn = conn; m.links++; go(); });
    conn.on("error", (error) => m.errors.push(`conn ${error.type}: ${error.message}`));
    conn.on("close", () => { m.closed++; });
    conn.on("data", async (data) => {
      if (typeof data !== "string") return m.errors.push("alice sent binary data unasked");
      let frame;
      try { frame = JSON.parse(data); } catch { return m.errors.push(`not JSON: ${data.slice(0, 40)}`); }
      m.inbox.push(frame);
      if (frame?.t === "ping") send(conn, { t: "pong", n: frame.n });
      if (frame?.t === "hello") { hello = frame; await go(); }
      if (frame?.t === "blob-get") {
        m.gets.push({ hash: frame.hash, from: frame.from, at: Date.now() });
        m.serve(conn, frame);
      }
    });
  };
  m.accept = async () => { m.accepting = true; for (const go of m.pending) await go(); };
  m.drop = () => { m.accepting = false; m.conn.close(); };

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("mallory's Peer did not open")), timeoutMs);
    peer.on("open", () => { clearTimeout(timer); resolve(); });
    peer.on("error", (error) => { clearTimeout(timer); reject(new Error(`${error.type}: ${error.message}`)); });
  });
  peer.on("error", (error) => m.errors.push(`${error.type}: ${error.message}`));
  peer.on("connection", (conn) => attach(conn, false));
  peer.socket.send({ type: "WATCH", payload: { handles: [alice] } });
  const conn = peer.connect(await locate(peer, alice, timeoutMs), { serialization: "raw", reliable: true });
  attach(conn, true);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the connection to alice did not open")), timeoutMs);
    conn.on("open", () => { clearTimeout(timer); resolve(); });
  });

  // Once alice trusts her, she asks for mallory's wall: one post with both photos.
  m.serveWall = async () => {
    await m.waitFor((f) => f?.t === "sync" && f.wall === me);
    const photos = [
      { full: hashes.fullA, thumb: hashes.thumbA, mime: "image/png", w: 720, h: 480 },
      { full: hashes.fullB, thumb: hashes.thumbB, mime: "image/png", w: 720, h: 480 },
    ];
    const body = { text, photos };
    const id = b64(crypto.getRandomValues(new Uint8Array(16)));
    const e = { id, wall: me, author: me, kind: "post", ts: Date.now(), body };
    const sig = await sign(canonical({ v: 1, ...e }));
    send(m.conn, { t: "events", wall: me, events: [{ ...e, sig, seq: 1 }], keys: { [me]: key }, upto: 1, done: true });
  };
  let impostorText = "";
  for (const b of impostor) impostorText += String.fromCharCode(b);
  return {
    hashes, evilHash: m.evilHash, impostorHash: m.evilImpostorHash,
    impostor: btoa(impostorText), sizeB: real.thumbB.length,
  };
}
"""
)


def test_a_friend_cannot_slip_other_bytes_under_a_photos_name(sign_up, live_server_url, browser_log: BrowserLog):
    """mallory serves a showable impostor under her photo's hash, and half of another photo: alice shows neither.

    Proves: bytes that do not hash to the photo's name are never stored or shown: alice asks
    three times (the log names each refusal), then the tile says "This photo could not be
    fetched" with "Try again", no image on her page shows the impostor and her store holds
    nothing under either hash; a transfer cut off halfway is not shown either (the tile shows
    its progress, then waits for mallory); when mallory is back and honest, the cut-off transfer
    resumes from the byte it stopped at, "Try again" fetches the other photo, and both show
    exactly the real bytes.
    """
    alice = sign_up("alice", **DESKTOP)
    expect_online(alice.page)
    record_statuses(alice)
    mallory = sign_up("mallory", bypass_csp=True)
    page = mallory.page
    page.goto(f"{live_server_url}/api/ice")  # unloads mallory's app; no script of ours runs here
    page.add_script_tag(path=str(PEERJS_CLIENT))
    text = "Two photos from mallory"
    made = page.evaluate(MALLORY, {"me": mallory.handle, "alice": alice.handle, "text": text, "timeoutMs": PEER_MS})
    hashes = made["hashes"]
    accept_request(alice.page, mallory.handle)
    page.evaluate("() => window.m.serveWall()")

    region = open_wall(alice.page, mallory.handle)
    article = post_article(alice.page, mallory.handle, text)
    expect(article).to_be_visible(timeout=PEER_MS)
    expect(grid(article, 2).get_by_role("listitem")).to_have_count(2)
    first = grid(article, 2).get_by_role("listitem").nth(0)
    second = grid(article, 2).get_by_role("listitem").nth(1)

    # The impostor: refused, asked again, refused, and given up.
    expect(first).to_contain_text("This photo could not be fetched: no good copy could be fetched", timeout=PEER_MS)
    expect(first.get_by_role("button", name="Try again", exact=True)).to_be_visible()
    expect(first.locator("img")).to_have_count(0)
    # Three attempts, then she gives up: only "Try again" asks once more.
    count_gets = "(h) => window.m.gets.filter((g) => g.hash === h).length"
    gets = page.evaluate(count_gets, hashes["thumbA"])
    assert gets == 3, f"alice asked {gets} times for the photo she got bad bytes for"
    refusal = f"dropped a frame from @{mallory.handle}: blob {hashes['thumbA'][:12]}: the bytes do not match their hash"
    alice.page.wait_for_timeout(1_000)
    assert page.evaluate(count_gets, hashes["thumbA"]) == gets, "alice keeps asking after giving up"
    assert sum(refusal in line for line in browser_log.lines) == gets, "\n".join(browser_log.lines)

    # The other photo: half of it, then mallory is gone.
    # Asked for, not answered yet: a bar without figures.
    expect(second.get_by_role("progressbar", name="Loading photo 2 of 2")).to_be_visible()
    expect(second).to_have_text("Loading photo…")
    page.evaluate("(h) => { window.m.modes[h] = 'truncate'; window.m.release(); }", hashes["thumbB"])
    part = round(100 * 65536 / made["sizeB"])
    expect(second).to_have_text(re.compile(rf"^Loading photo… ({part - 1}|{part})%$"), timeout=PEER_MS)
    screenshot(alice.page, "test_photos-alice-mallorys-photos-failed-and-loading")
    page.evaluate("() => window.m.drop()")
    expect(second).to_contain_text(f"Photo not here yet: @{mallory.handle} is offline", timeout=PEER_MS)
    expect(second.locator("img")).to_have_count(0)

    impostor = alice.page.evaluate(BYTES_PIXELS, {"name": None, "hash": None, "b64": made["impostor"]})
    assert impostor not in alice.page.locator("img").evaluate_all(ALL_IMG_PIXELS), "alice's page shows the impostor"
    held = stored_blobs(alice)
    for hash_ in (hashes["thumbA"], hashes["thumbB"], made["evilHash"], made["impostorHash"]):
        assert hash_ not in held, f"alice keeps {hash_[:12]}"
    assert held == {}, held
    assert undecoded_images(region) == 0

    # mallory is back, honest: the cut-off transfer resumes where it stopped; Try again fetches A.
    page.evaluate(
        "(hs) => { for (const h of hs) window.m.modes[h] = 'honest'; return window.m.accept(); }",
        [hashes["thumbA"], hashes["thumbB"]],
    )
    assert decoded(tile_img(article, 2, 2, mallory.handle)) == (360, 240)
    assert shows(tile_img(article, 2, 2, mallory.handle), alice, hashes["thumbB"])
    resumed = page.evaluate("(h) => window.m.gets.filter((g) => g.hash === h).map((g) => g.from)", hashes["thumbB"])
    assert resumed == [0, 65536], resumed
    first.get_by_role("button", name="Try again", exact=True).click()
    assert decoded(tile_img(article, 1, 2, mallory.handle)) == (360, 240)
    assert shows(tile_img(article, 1, 2, mallory.handle), alice, hashes["thumbA"])
    held = stored_blobs(alice)
    assert set(held) == {hashes["thumbA"], hashes["thumbB"]}, held
    screenshot(alice.page, "test_photos-alice-mallorys-photos-after-all")

    errors = page.evaluate("() => window.m.errors")
    assert errors == [], errors
    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())


# --- 5. backup -------------------------------------------------------------------------------------


@pytest.fixture
def new_browser(browser: Browser, browser_log: BrowserLog) -> Iterator:
    contexts = []

    def make(label: str, **options):
        context = browser.new_context(**options)
        context.set_default_timeout(harness.TIMEOUT_MS)
        browser_log.watch_context(context, label)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def test_a_backup_carries_the_photos(sign_up, new_browser, live_server_url, images, tmp_path, browser_log: BrowserLog):
    """alice's backup holds her photos and those kept on her wall; imported elsewhere, they show with no friend online.

    Proves: Export backup writes every photo the browser keeps (alice's own, and bob's photo on
    her wall, which she keeps to serve it); in a brand-new browser, after Import backup, her
    wall shows every thumbnail and the full image opens, while bob (her only friend) is offline;
    the imported photos keep whether they are hers (Settings counts them so).
    """
    alice = sign_up("alice", **DESKTOP)
    bob = sign_up("bob", **DESKTOP)
    befriend(alice, bob)

    text = "Two photos worth a backup"
    open_wall(alice.page, alice.handle, me=alice.handle)
    post_with_photos(alice.page, alice.handle, text, [images["wide"], images["tall"]])
    refs = photo_refs(alice, text)
    bobs_text = "bob's photo, kept on alice's wall"
    open_wall(bob.page, alice.handle)
    expect(post_with_photos(bob.page, alice.handle, bobs_text, [images["sideways"]])).to_contain_text(
        "delivered", timeout=PEER_MS
    )
    [bobs_ref] = photo_refs(bob, bobs_text)
    wanted = {r[k] for r in refs for k in ("full", "thumb")} | {bobs_ref["full"], bobs_ref["thumb"]}
    for _ in range(100):
        if wanted <= set(stored_blobs(alice)):
            break
        alice.page.wait_for_timeout(100)
    before = stored_blobs(alice)
    assert wanted == set(before), "alice does not keep every photo of her wall"

    backup = export_backup(alice.page, tmp_path)
    data = json.loads(backup.read_text())
    in_backup = {b["hash"]: b for b in data["blobs"]}
    assert set(in_backup) == wanted
    for b in in_backup.values():
        data_bytes = base64.urlsafe_b64decode(b["data"] + "=" * (-len(b["data"]) % 4))
        assert hashlib.sha256(data_bytes).hexdigest() == b["hash"]
        assert b["mine"] == before[b["hash"]]["mine"]
    figures = storage_figures(alice.page)

    go_offline(alice)
    go_offline(bob)
    context = new_browser(f"alice @{alice.handle} (new browser)", **DESKTOP)
    page = harness.log_in(context.new_page(), live_server_url, alice.handle, setup=True)
    new_alice = User(alice.handle, alice.password, context, page)
    said = import_backup_at_setup(page, backup, alice.handle)
    expect_online(page)
    # The two posts, and the friend lists alice and bob sign for store and forward.
    kinds = sorted(e["kind"] for e in data["events"])
    assert kinds == ["friends", "friends", "post", "post"], kinds
    assert said.startswith(f"Imported {len(kinds)} events and 1 friends."), said
    expect_friend(page, bob.handle, online=False)

    region = open_wall(page, alice.handle, me=alice.handle)
    article = post_article(page, alice.handle, text)
    for i in (1, 2):
        decoded(tile_img(article, i, 2, alice.handle))
        assert shows(tile_img(article, i, 2, alice.handle), new_alice, refs[i - 1]["thumb"])
    bobs = post_article(page, alice.handle, bobs_text)
    w, h = decoded(tile_img(bobs, 1, 1, bob.handle))
    assert h > w
    tile(article, 2, 2, alice.handle).click()
    dialog = lightbox(page, 2, 2)
    assert expect_full_size(dialog, 2, 2, alice.handle) == (900, 1200)
    page.keyboard.press("Escape")
    assert undecoded_images(region) == 0
    screenshot(page, "test_photos-alice-wall-restored-from-backup")

    after = stored_blobs(new_alice)
    assert set(after) == wanted
    assert {h: b["mine"] for h, b in after.items()} == {h: b["mine"] for h, b in before.items()}
    assert storage_figures(page) == figures

    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
