"""Driving Peerwall's app the way a person does, through the accessible names of its UI contract.

The friends panel appears twice on wall and feed routes (the page's main view is the wall, the
panel is a sidebar), so everything about friends goes through ``#/friends``, where it is the page.
A wall's posts are found inside the region its heading names (``@owner``).

"Offline" for a user means all their pages are closed (their browser context, cookies and
IndexedDB stay); "online" again means a new page on /app/.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.harness import TIMEOUT_MS, User

# Generous but bounded: how long anything that travels between two browsers may take.
PEER_MS = 30_000
# A desktop browser's context options (the phone-sized tests give their own).
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


# --- pages and routes -----------------------------------------------------------------------


def app_url(base_url: str, route: str = "/") -> str:
    return f"{base_url}/app/#{route}"


def connection_status(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Peerwall").get_by_role("status")


def expect_online(page: Page, timeout: int = PEER_MS) -> None:
    """The app's connection to the broker says "Online"."""
    expect(connection_status(page)).to_have_text("Online", timeout=timeout)


def go(page: Page, route: str) -> None:
    """Moves the app to a hash route (``/``, ``/feed``, ``/friends``, ``/settings``, ``/wall/<h>``)
    without reloading the page, and waits until the route's view is shown."""
    page.evaluate("(route) => { location.hash = route; }", route)
    if route in ("/", ""):
        heading: str | re.Pattern[str] = re.compile(r"^@")
    elif route == "/feed":
        heading = "News feed"
    elif route == "/friends":
        heading = "Friends"
    elif route == "/settings":
        heading = "Settings"
    elif route == "/notifications":
        heading = "Notifications"
    elif route.startswith("/wall/"):
        heading = f"@{route.removeprefix('/wall/')}"
    else:
        raise ValueError(f"not a Peerwall route: {route!r}")
    expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible(timeout=TIMEOUT_MS)


def go_offline(user: User) -> None:
    """Closes every page of the user's browser context: the app is gone, its data stays."""
    for page in list(user.context.pages):
        page.close()


def come_online(user: User, base_url: str, route: str = "/") -> Page:
    """Opens a new page on /app/ in the user's context (their data is there): they are back."""
    page = user.context.new_page()
    page.goto(app_url(base_url, route))
    user.page = page
    expect_online(page)
    return page


# --- friends ---------------------------------------------------------------------------------


def friends_panel(page: Page) -> Locator:
    """The friends panel as the page (route ``#/friends``); call ``go(page, "/friends")`` first."""
    return page.get_by_role("region", name="Friends", exact=True)


def add_friend(page: Page, handle: str) -> None:
    ask_friend(page, handle)
    expect(outgoing_request(page, handle)).to_be_visible()


def ask_friend(page: Page, handle: str) -> None:
    """Sends ``@handle`` a friend request: the app says it is sent. (Someone who still counts me as
    a friend, e.g. after I started fresh, may accept at once: no "waiting" line need show.)"""
    go(page, "/friends")
    panel = friends_panel(page)
    panel.get_by_role("textbox", name="Friend's handle").fill(handle)
    panel.get_by_role("button", name="Add friend").click()
    expect(panel.get_by_role("status").filter(has_text=f"Friend request for @{handle} sent")).to_be_visible()


def outgoing_request(page: Page, handle: str) -> Locator:
    return friends_panel(page).locator("li").filter(has_text=f"@{handle} — waiting for them to accept")


def incoming_request(page: Page, handle: str) -> Locator:
    return (
        friends_panel(page)
        .locator("li")
        .filter(has_text=f"@{handle}")
        .filter(has=page.get_by_role("button", name="Accept", exact=True))
    )


def accept_request(page: Page, handle: str, timeout: int = PEER_MS) -> None:
    go(page, "/friends")
    request = incoming_request(page, handle)
    expect(request).to_be_visible(timeout=timeout)
    request.get_by_role("button", name="Accept", exact=True).click()


def friend_row(page: Page, handle: str) -> Locator:
    """The list item of a friend: a link named exactly ``@handle``, then "online" or "offline"."""
    return friends_panel(page).locator("li").filter(has=page.get_by_role("link", name=f"@{handle}", exact=True))


def expect_friend(page: Page, handle: str, online: bool = True, timeout: int = PEER_MS) -> None:
    """``@handle`` is a friend shown as online (and, when online, with the link between us up)."""
    go(page, "/friends")
    row = friend_row(page, handle)
    expect(row).to_be_visible(timeout=timeout)
    expect(row).to_contain_text(
        re.compile(rf"@{re.escape(handle)}\s*{'online' if online else 'offline'}"), timeout=timeout
    )
    if online:
        # "online, connecting…" while the broker says online but our data connection is not up yet.
        expect(row.get_by_title("online, connecting…")).to_have_count(0, timeout=timeout)


def befriend(a: User, b: User) -> None:
    """``a`` asks ``b``, who is online and accepts; both then see each other online and connected."""
    add_friend(a.page, b.handle)
    accept_request(b.page, a.handle)
    expect_friend(b.page, a.handle)
    expect_friend(a.page, b.handle)


# --- walls -----------------------------------------------------------------------------------


def wall(page: Page, owner: str) -> Locator:
    """The wall region of ``@owner`` (its heading names it)."""
    return page.get_by_role("region", name=f"@{owner}", exact=True)


def open_wall(page: Page, owner: str, me: str | None = None) -> Locator:
    go(page, "/" if owner == me else f"/wall/{owner}")
    return wall(page, owner)


def post(page: Page, owner: str, text: str) -> Locator:
    """Writes ``text`` on ``@owner``'s wall (shown now) and returns its article."""
    region = wall(page, owner)
    region.get_by_role("textbox", name="New post").fill(text)
    region.get_by_role("button", name="Post", exact=True).click()
    article = post_article(page, owner, text)
    expect(article).to_be_visible()
    expect(region.get_by_role("textbox", name="New post")).to_have_value("")
    return article


def post_article(page: Page, owner: str, text: str) -> Locator:
    return wall(page, owner).locator("article").filter(has_text=text)


def comment(article: Locator, text: str) -> None:
    box = article.get_by_role("textbox", name="Comment")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(article.locator("li").filter(has_text=text)).to_be_visible()


def confirm(scope: Locator, action: str, yes: str) -> None:
    """Clicks ``action`` (e.g. "Delete"), then the in-place confirmation ``yes`` ("Yes, delete")."""
    scope.get_by_role("button", name=action, exact=True).click()
    scope.get_by_role("button", name=yes, exact=True).click()


# --- backups ---------------------------------------------------------------------------------


def export_backup(page: Page, directory: Path) -> Path:
    """Settings → Export backup; saves the downloaded file in ``directory`` and returns its path."""
    go(page, "/settings")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export backup").click()
    download = download_info.value
    path = directory / download.suggested_filename
    download.save_as(path)
    expect(page.get_by_role("status").filter(has_text="Saved")).to_contain_text(download.suggested_filename)
    return path


def import_backup(page: Page, path: Path) -> str:
    """Settings → Import backup, choosing ``path`` in the file picker the button opens; waits for the
    page to reload by itself and returns what it said."""
    go(page, "/settings")
    said = page.get_by_role("status").filter(has_text="Imported")
    with page.expect_navigation(timeout=PEER_MS):
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="Import backup", exact=True).click()
        chooser.value.set_files(str(path))
        expect(said).to_be_visible()
        text = said.inner_text()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    return text


# --- devices and recovery (the set-up choice itself: harness.log_in(..., setup=True)) -------------


def shown_text(element: Locator) -> str:
    """What an element shows once it shows something: an input's value, or else its text."""
    expect(element).to_be_visible()
    text = ""
    for _ in range(TIMEOUT_MS // 100):
        text = element.evaluate("(e) => ('value' in e && e.value ? e.value : e.innerText ?? e.textContent).trim()")
        if re.search(r"[A-Za-z0-9]", text):
            return text
        element.page.wait_for_timeout(100)
    raise AssertionError(f"the element shows nothing but {text!r}")


def offer_link(page: Page) -> str:
    """Settings → Link a device; returns the one-time code it shows in `Device code`.

    A code still waiting for its device is shown as it is; one that was used or expired makes
    way for a new one (`New code`).
    """
    go(page, "/settings")
    code = page.get_by_label("Device code", exact=True)
    ask = page.get_by_role("button", name=re.compile(r"^(Link a device|New code)$"))
    expect(code.or_(ask).first).to_be_visible()
    if not code.is_visible():
        ask.click()
    return shown_text(code)


def my_devices(page: Page) -> Locator:
    """The items of Settings' list of my devices (route ``#/settings``)."""
    return page.get_by_role("list", name=re.compile(r"devices", re.IGNORECASE)).get_by_role("listitem")


def show_recovery_phrase(page: Page) -> list[str]:
    """Settings → Show recovery phrase; returns the words shown in `Recovery phrase` (any numbering dropped)."""
    go(page, "/settings")
    page.get_by_role("button", name="Show recovery phrase", exact=True).click()
    return re.findall(r"[a-z]+", shown_text(page.get_by_label("Recovery phrase", exact=True)).lower())


def choose_to_link(page: Page) -> None:
    """Set-up choice → Link to my other device: the `Device code` textbox and `Link` show."""
    page.get_by_role("button", name="Link to my other device", exact=True).click()
    expect(page.get_by_role("textbox", name="Device code", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Link", exact=True)).to_be_visible()


def link_with_code(page: Page, code: str) -> None:
    page.get_by_role("textbox", name="Device code", exact=True).fill(code)
    page.get_by_role("button", name="Link", exact=True).click()


def choose_to_restore(page: Page) -> None:
    """Set-up choice → Restore from recovery phrase: the `Recovery phrase` textbox and `Restore` show."""
    page.get_by_role("button", name="Restore from recovery phrase", exact=True).click()
    expect(page.get_by_role("textbox", name="Recovery phrase", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Restore", exact=True)).to_be_visible()


def restore_with_phrase(page: Page, words: list[str]) -> None:
    page.get_by_role("textbox", name="Recovery phrase", exact=True).fill(" ".join(words))
    page.get_by_role("button", name="Restore", exact=True).click()


def import_backup_at_setup(page: Page, path: Path, handle: str) -> str:
    """Set-up choice → Import backup, choosing ``path`` in the file picker; waits for ``@handle``'s
    wall and returns what the app said about the import."""
    said = page.get_by_role("status").filter(has_text="Imported")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import backup", exact=True).click()
    chooser.value.set_files(str(path))
    expect(said).to_be_visible(timeout=PEER_MS)
    text = said.inner_text()
    expect(page.get_by_role("heading", name=f"@{handle}", exact=True)).to_be_visible(timeout=PEER_MS)
    return text


def expect_no_key_warning(page: Page, handle: str) -> None:
    """Nowhere on the friends page does ``@handle``'s key show as changed (ui/KeyWarning.tsx)."""
    go(page, "/friends")
    expect(page.get_by_text(f"@{handle}'s key changed")).to_have_count(0)
    expect(page.get_by_role("button", name="Confirm new key")).to_have_count(0)
