"""A Peerwall user in Firefox: Debian's firefox-esr driven by tests/e2e/firefox/driver.mjs
(puppeteer-core over WebDriver BiDi), one JSON command a line. Python Playwright cannot drive
this Firefox; the Chromium side of a cross-browser test stays Playwright.

Its methods follow the UI contract as tests/e2e/ui.py does for Chromium: labels and visible
text, never the app's internals.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.harness import PASSWORD, ROOT

DRIVER = ROOT / "tests" / "e2e" / "firefox" / "driver.mjs"
FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")

# Finds the form control a <label> names (the UI contract's accessible names).
BY_LABEL = """(text) => {
  const label = [...document.querySelectorAll("label")].find((l) => l.textContent.trim() === text && l.htmlFor);
  return label ? "#" + CSS.escape(label.htmlFor) : null;
}"""


def firefox_missing() -> str | None:
    """Why a Firefox test cannot run here, or None."""
    if not Path(FIREFOX).exists():
        return f"{FIREFOX} is missing (apt-get install firefox-esr)"
    if shutil.which("node") is None or not (DRIVER.parent / "node_modules" / "puppeteer-core").exists():
        return "puppeteer-core is not installed (make test-e2e installs it: npm ci in tests/e2e/firefox)"
    return None


class FirefoxUser:
    def __init__(self, base_url: str, handle: str, log: list[str]):
        self.base_url = base_url
        self.handle = handle
        self.log = log
        self._next = 0
        self.process = subprocess.Popen(
            ["node", str(DRIVER)],
            cwd=DRIVER.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "FIREFOX": FIREFOX},
        )

    def call(self, op: str, **args: Any) -> Any:
        self._next += 1
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"id": self._next, "op": op, **args}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            said = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the Firefox driver stopped:\n{said}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise AssertionError(f"Firefox ({self.handle}): {op} {args}: {answer['error']}")
        return answer["value"]

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin
            self.process.stdin.close()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    # --- people's actions -------------------------------------------------------------------

    def wait_for(self, js: str, arg: Any = None, timeout: int = 30_000) -> None:
        self.call("waitFor", js=js, arg=arg, timeout=timeout)

    def type_into(self, label: str, text: str) -> None:
        selector = self.call("eval", js=BY_LABEL, arg=label)
        assert selector, f"Firefox: no field labelled {label!r}"
        self.call("type", selector=selector, text=text)

    def click(self, text: str, tag: str = "button") -> None:
        self.call("clickText", tag=tag, text=text)

    def sign_up(self) -> None:
        self.call("goto", url=f"{self.base_url}/accounts/signup/")
        self.type_into("Handle", self.handle)
        self.type_into("Password", PASSWORD)
        self.type_into("Password (again)", PASSWORD)
        self.click("Sign up")
        self.wait_for(
            """(h) => location.pathname === "/app/" &&
                 [...document.querySelectorAll("h1, h2")].some((e) => e.textContent.trim() === "@" + h)""",
            self.handle,
        )

    def go(self, route: str) -> None:
        self.call("eval", js="(route) => { location.hash = route; }", arg=route)

    def open_wall(self, owner: str) -> None:
        """Shows ``@owner``'s wall (my own when it is me) and waits for its heading."""
        self.go("/" if owner == self.handle else f"/wall/{owner}")
        self.wait_for(
            """(h) => [...document.querySelectorAll("h1, h2")].some((e) => e.textContent.trim() === "@" + h)
                 && location.hash.endsWith(h === document.body.dataset.handle ? "#/" : h)""",
            owner,
        )

    def online(self) -> None:
        self.wait_for(
            """() => [...document.querySelectorAll("nav [role=status]")]
                 .some((e) => e.textContent.trim() === "Online")"""
        )

    def add_friend(self, handle: str) -> None:
        self.go("/friends")
        self.type_into("Friend's handle", handle)
        self.click("Add friend")

    def accept(self, handle: str) -> None:
        self.go("/friends")
        self.wait_for(
            """(h) => [...document.querySelectorAll("li")].some((li) => li.textContent.includes("@" + h) &&
                 [...li.querySelectorAll("button")].some((b) => b.textContent.trim() === "Accept"))""",
            handle,
        )
        self.click("Accept")

    def friend_online(self, handle: str) -> None:
        self.go("/friends")
        self.wait_for(
            """(h) => [...document.querySelectorAll("li")].some((li) =>
                 li.textContent.includes("@" + h) && li.textContent.includes(" online"))""",
            handle,
        )

    def post(self, text: str, photos: list[Path] = ()) -> None:
        """Writes ``text`` (with ``photos``) in the composer of the wall shown."""
        if photos:
            selector = self.call("eval", js=BY_LABEL, arg="Add photo")
            self.call("upload", selector=selector, files=[str(p) for p in photos])
            previews = "(n) => document.querySelectorAll('[aria-label=\"Photos to post\"] li').length === n"
            self.wait_for(previews, len(photos))
        self.type_into("New post", text)
        self.click("Post")

    def article_with(self, author: str, text: str) -> None:
        self.wait_for(
            """([author, text]) => [...document.querySelectorAll("article")].some((a) =>
                 a.textContent.includes("@" + author) && a.textContent.includes(text)
                 && !a.textContent.includes("pending"))""",
            [author, text],
        )

    def photo_shown(self, author: str, text: str) -> dict:
        """Waits until the post's first photo has loaded and decoded; its natural size."""
        find = """([author, text]) => {
          const a = [...document.querySelectorAll("article")].find((a) => a.textContent.includes(text));
          const img = a && a.querySelector(`img[alt^="Photo 1 of"][alt$="by @${author}"]`);
          return img && img.complete && img.naturalWidth > 0 ? { w: img.naturalWidth, h: img.naturalHeight } : null;
        }"""
        self.wait_for(find, [author, text])
        return self.call("eval", js=find, arg=[author, text])

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.call("screenshot", path=str(path))

    def errors(self) -> list[str]:
        """Console errors and page errors since the last call (warnings go to the log)."""
        found = []
        for entry in self.call("logs"):
            self.log.append(f"[firefox @{self.handle}] {entry['type']}: {entry['text']}")
            if entry["type"] != "warn":
                found.append(entry["text"])
        return found
