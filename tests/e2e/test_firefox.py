"""Firefox and Chromium, friends: the same app in the two browsers people use most, over real
WebRTC between them (Firefox ESR driven by tests/e2e/firefox_user.py, Chromium by Playwright)."""

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.firefox_user import FirefoxUser, firefox_missing
from tests.e2e.harness import SCREENSHOTS, BrowserLog, screenshot, unique_handle
from tests.e2e.ui import DESKTOP, PEER_MS, accept_request, expect_friend, open_wall, post_article, wall
from tests.services import services_required

# A photo drawn in the Chromium page: a JPEG of ``w`` x ``h`` with a label, as base64.
DRAW = """([w, h, label]) => {
  const c = document.createElement("canvas"); c.width = w; c.height = h;
  const g = c.getContext("2d");
  g.fillStyle = "#3b6"; g.fillRect(0, 0, w, h);
  g.fillStyle = "#fff"; g.font = `${h / 3}px sans-serif`; g.fillText(label, w / 4, h / 1.6);
  return c.toDataURL("image/jpeg", 0.9).split(",")[1];
}"""


@pytest.fixture
def firefox(live_server_url: str, browser_log: BrowserLog) -> Iterator[FirefoxUser]:
    reason = firefox_missing()
    if reason:
        if services_required() or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    user = FirefoxUser(live_server_url, unique_handle("fox"), browser_log.lines)
    try:
        yield user
    finally:
        # What Firefox logged goes to the failure report beside Chromium's console, with its screen.
        try:
            user.errors()
            user.screenshot(SCREENSHOTS / "test_firefox-fox-at-the-end.png")
        finally:
            user.close()


def photo(page, tmp_path: Path, name: str, w: int, h: int) -> dict:
    data = base64.b64decode(page.evaluate(DRAW, [w, h, name]))
    path = tmp_path / f"{name}.jpg"
    path.write_bytes(data)
    return {"name": path.name, "mimeType": "image/jpeg", "buffer": data, "path": path}


def test_a_firefox_user_and_a_chromium_user_are_friends_both_ways(
    firefox: FirefoxUser, sign_up, tmp_path: Path, browser_log: BrowserLog
):
    """Proves: a Firefox user signs up, asks a Chromium user to be friends, who accepts; both
    see each other online; each posts on the other's wall and on their own, and the posts
    arrive both ways; a photo posted in each browser opens, decoded, in the other; neither
    browser logs an error. The app renders in Firefox without waiting for its storage prompt.
    """
    firefox.sign_up()
    firefox.online()
    firefox.screenshot(SCREENSHOTS / "test_firefox-fox-app.png")
    # Firefox's persistent-storage prompt waits for an answer nobody gives here; the app did not.
    firefox.go("/settings")
    firefox.wait_for("() => document.body.textContent.includes('Asking your browser to keep this data')")
    chrome = sign_up("chrome", **DESKTOP)

    firefox.add_friend(chrome.handle)
    accept_request(chrome.page, firefox.handle)
    expect_friend(chrome.page, firefox.handle)
    firefox.friend_online(chrome.handle)

    # Posts, both ways: on one's own wall and on the other's.
    firefox.open_wall(firefox.handle)
    firefox.post("Hello from Firefox, on my wall")
    firefox.open_wall(chrome.handle)
    firefox.post("Firefox was here, on your wall")
    open_wall(chrome.page, chrome.handle, me=chrome.handle)
    expect(post_article(chrome.page, chrome.handle, "Firefox was here, on your wall")).to_be_visible(timeout=PEER_MS)
    open_wall(chrome.page, firefox.handle)
    expect(post_article(chrome.page, firefox.handle, "Hello from Firefox, on my wall")).to_be_visible(timeout=PEER_MS)
    region = wall(chrome.page, firefox.handle)
    region.get_by_role("textbox", name="New post").fill("Chromium answers, on your wall")
    region.get_by_role("button", name="Post", exact=True).click()
    expect(post_article(chrome.page, firefox.handle, "Chromium answers, on your wall")).to_contain_text(
        "delivered", timeout=PEER_MS
    )
    firefox.open_wall(firefox.handle)
    firefox.article_with(chrome.handle, "Chromium answers, on your wall")

    # A photo each way, opened decoded on the other side.
    firefox_photo = photo(chrome.page, tmp_path, "from-firefox", 1200, 800)
    firefox.post("A photo taken in Firefox", [firefox_photo["path"]])
    chrome_sees = post_article(chrome.page, firefox.handle, "A photo taken in Firefox")
    img = chrome_sees.get_by_role("img", name=f"Photo 1 of 1 by @{firefox.handle}", exact=True)
    expect(img).to_have_count(1, timeout=PEER_MS)
    loaded = "(img) => img.complete && img.naturalWidth > 0"
    chrome.page.wait_for_function(loaded, arg=img.element_handle(), timeout=PEER_MS)
    screenshot(chrome.page, "test_firefox-chrome-sees-the-firefox-photo")

    chrome_photo = photo(chrome.page, tmp_path, "from-chromium", 800, 1000)
    open_wall(chrome.page, chrome.handle, me=chrome.handle)
    own = wall(chrome.page, chrome.handle)
    own.get_by_label("Add photo").set_input_files(files=[{k: chrome_photo[k] for k in ("name", "mimeType", "buffer")}])
    own.get_by_role("textbox", name="New post").fill("A photo taken in Chromium")
    own.get_by_role("button", name="Post", exact=True).click()
    expect(post_article(chrome.page, chrome.handle, "A photo taken in Chromium")).to_be_visible(timeout=PEER_MS)
    firefox.open_wall(chrome.handle)
    size = firefox.photo_shown(chrome.handle, "A photo taken in Chromium")
    assert size["w"] > 0 and size["h"] > size["w"], size  # the portrait photo, decoded in Firefox
    firefox.screenshot(SCREENSHOTS / "test_firefox-fox-sees-the-chromium-photo.png")

    assert firefox.errors() == [], "Firefox logged errors (see the browser console section)"
    assert browser_log.unexpected() == [], "\n".join(browser_log.unexpected())
