#!/usr/bin/env python3
"""Peerwall's sync benchmark: the raw data channel, then what the app makes of it, in ONE run.

One daphne server on a fresh SQLite file, one headless Chromium process, a browser context per
user (tests/e2e/harness.py does the server, the browser and the sign-ups). What is measured:

1. raw     the reference: an ordered reliable RTCDataChannel in this very browser, 32 MiB in
           64 KiB messages with back-pressure, between two peer connections in one page and
           between two pages in two contexts (the test carries the SDP). Median of 3.
2. friend  (a) bob clicks Accept on alice's request -> alice's Friends list shows "@bob online";
           (b) bob reloads -> bob's page shows the post alice wrote while he was reloading.
3. catchup bob is offline, alice's wall gets 10,000 signed posts (seeded into her IndexedDB with
           the app's own code, bench/seed/seed.ts: signed and placed as the app writes them), bob
           comes back on his view of her wall: from his page's navigation start until his
           IndexedDB holds all of them. As events/s, MB/s of event JSON, and as a fraction of the
           raw channel measured above (DESIGN: catch-up aims at >= 1/2 of it); the longest
           main-thread task on both pages; and the time from bob's link to alice connected until
           20 of her posts are on his screen (goal <= 2 s). Then again for a larger wall (50,000
           by default: 40,000 more posts on the same wall, caught up by another friend of hers
           who holds none of them), so that the growth with wall size shows in one table.

Figures go to bench/results/sync-<date>.json and bench/results/sync-latest.md (and stdout).
Run it with `make bench`, or by hand inside a network namespace:

    scripts/in-netns .venv/bin/python bench/sync_bench.py [--events 10000,50000] [--reconnects 5]

Nothing here is a test: no figure is asserted. A figure that could not be measured is reported
as such, with the reason, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: E402

from bench.common import build_bundle, fmt, log, section  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    PASSWORD,
    TIMEOUT_MS,
    BrowserLog,
    LiveServer,
    User,
    launch_chromium,
    sign_up,
    unique_handle,
)

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
JS = BENCH / "js"
ESBUILD = ROOT / "frontend" / "node_modules" / ".bin" / "esbuild"
# The store's write rate (section 1): events written, and how many a transaction (as CATCH_UP_WRITE).
STORE_N, STORE_BATCH = 10_000, 2_000
PROFILES = ROOT / "test-results" / "bench"  # CPU profiles (--profile), for Chrome DevTools; not committed

MiB = 1024 * 1024
MB = 1_000_000  # every MB/s here is 10^6 bytes per second
RAW = {"totalBytes": 32 * MiB, "chunkBytes": 64 * 1024, "lowThreshold": 1 * MiB, "highWater": 4 * MiB}
PEER_MS = 30_000
VERIFY_N = 5_000
SHOW_WALL_TIMEOUT_MS = 120_000
WATCH_KEY = "peerwall-bench-watch"
FIRST_POSTS = 20  # "time to the first 20 posts on screen after the channel opens" (issue 14)
FIRST_POSTS_GOAL_MS = 2_000
SEED_TEXT = "bench post "  # every post bench/seed/seed.ts writes starts so


# --- small helpers ---------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def mbps(nbytes: float, ms: float) -> float:
    return nbytes / MB / (ms / 1000)


def build_seed_bundle(directory: Path) -> str:
    """bench/seed/seed.ts and the app's own modules, bundled for injection into a page."""
    return build_bundle(BENCH / "seed" / "seed.ts", directory)


def build_readable_app(directory: Path) -> bytes:
    """The app bundled like `npm run build` but not minified, so that a CPU profile names functions."""
    out = directory / "app-readable.js"
    subprocess.run(
        [
            str(ESBUILD),
            "src/app/main.tsx",
            "--bundle",
            "--format=esm",
            "--target=chrome110",
            "--jsx=automatic",
            "--jsx-import-source=preact",
            "--keep-names",
            f"--outfile={out}",
            "--log-level=warning",
        ],
        cwd=ROOT / "frontend",
        check=True,
    )
    return out.read_bytes()


class Profiler:
    """V8's sampling CPU profiler on one page, through the DevTools protocol."""

    def __init__(self, page: Page, interval_us: int = 250) -> None:
        self.session = page.context.new_cdp_session(page)
        self.session.send("Profiler.enable")
        self.session.send("Profiler.setSamplingInterval", {"interval": interval_us})

    def start(self) -> None:
        self.session.send("Profiler.start")

    def stop(self, save_to: Path | None = None, top: int = 25) -> dict[str, Any]:
        profile = self.session.send("Profiler.stop")["profile"]
        self.session.detach()
        if save_to:
            save_to.parent.mkdir(parents=True, exist_ok=True)
            save_to.write_text(json.dumps(profile))
        return summarize_profile(profile, top)


def summarize_profile(profile: dict[str, Any], top: int = 25) -> dict[str, Any]:
    """Self and total (inclusive) milliseconds per function, from the samples and their time deltas."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent: dict[int, int] = {}
    for n in profile["nodes"]:
        for child in n.get("children", []):
            parent[child] = n["id"]

    def name(node_id: int) -> str:
        frame = nodes[node_id]["callFrame"]
        where = frame.get("url", "").rsplit("/", 1)[-1]
        label = frame.get("functionName") or "(anonymous)"
        return f"{label} {where}:{frame.get('lineNumber', 0) + 1}" if where else label

    self_ms: dict[str, float] = {}
    total_ms: dict[str, float] = {}
    deltas = profile.get("timeDeltas", [])
    samples = profile.get("samples", [])
    for i, node_id in enumerate(samples):
        # A sample's duration is the delta to the next sample.
        ms = (deltas[i + 1] if i + 1 < len(deltas) else 0) / 1000
        self_ms[name(node_id)] = self_ms.get(name(node_id), 0) + ms
        seen = set()
        current: int | None = node_id
        while current is not None:
            label = name(current)
            if label not in seen:
                seen.add(label)
                total_ms[label] = total_ms.get(label, 0) + ms
            current = parent.get(current)
    span_ms = (profile["endTime"] - profile["startTime"]) / 1000

    def best(table: dict[str, float]) -> list[list[Any]]:
        return [[k, round(v, 1)] for k, v in sorted(table.items(), key=lambda kv: -kv[1])[:top]]

    return {"span_ms": round(span_ms, 1), "self_ms": best(self_ms), "total_ms": best(total_ms)}


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["mem_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    for key, command in {
        "node": ["node", "--version"],
        "git": ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
    }.items():
        try:
            info[key] = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            info[key] = None
    try:
        from importlib.metadata import version

        info["playwright"] = version("playwright")
    except Exception:
        info["playwright"] = None
    try:
        package = json.loads((ROOT / "frontend" / "node_modules" / "peerjs" / "package.json").read_text())
        info["peerjs"] = package["version"]
    except (OSError, ValueError, KeyError):
        info["peerjs"] = None
    info["network_namespace"] = _in_netns()
    bundle = ROOT / "frontend" / "static" / "frontend" / "app.js"
    if bundle.exists():
        data = bundle.read_bytes()
        info["app_bundle"] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()[:16],
            "built": dt.datetime.fromtimestamp(bundle.stat().st_mtime, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
    return info


def _in_netns() -> bool:
    """True when running inside scripts/in-netns (the 10.213.0.1 veth exists only there)."""
    try:
        out = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "10.213.0.1" in out


# --- driving the app (the UI contract's accessible names) -------------------------------------


def app_url(base_url: str, route: str = "/") -> str:
    return f"{base_url}/app/#{route}"


def go(page: Page, route: str, heading: str) -> None:
    """Moves the app to a hash route without a reload and waits for the view's h1."""
    page.evaluate("(route) => { location.hash = route; }", route)
    expect(page.get_by_role("heading", level=1, name=heading, exact=True)).to_be_visible(timeout=TIMEOUT_MS)


def watch(page: Page, config: dict[str, Any]) -> None:
    """Starts (or restarts) instrument.js's marks in the page, now."""
    page.evaluate("(c) => window.__peerwallBench.watch(c)", config)


def watch_next_load(page: Page, config: dict[str, Any] | None) -> None:
    """What the context's next page load watches from its first moment (localStorage)."""
    page.evaluate(
        "([k, c]) => c === null ? localStorage.removeItem(k) : localStorage.setItem(k, JSON.stringify(c))",
        [WATCH_KEY, config],
    )


def wait_mark(page: Page, name: str, timeout_ms: int = PEER_MS) -> None:
    try:
        page.wait_for_function(
            "(n) => !!window.__peerwallBench && n in window.__peerwallBench.marks",
            arg=name,
            polling=50,
            timeout=timeout_ms,
        )
    except PlaywrightTimeoutError:
        seen = page.evaluate("() => Object.keys(window.__peerwallBench?.marks ?? {})")
        raise RuntimeError(f"{page.url}: no {name!r} within {timeout_ms / 1000:.0f} s (marks so far: {seen})") from None


def bench_state(page: Page) -> dict[str, Any]:
    return page.evaluate(
        "() => ({ marks: { ...window.__peerwallBench.marks }, timeOrigin: window.__peerwallBench.timeOrigin,"
        " wire: window.__peerwallBench.wire, longTasks: window.__peerwallBench.longTasks,"
        " counts: { ...window.__peerwallBench.counts }, visibility: document.visibilityState })"
    )


def chromium_cpu() -> dict[str, float]:
    """CPU seconds (user + system) used so far by each Chromium process, by its kind (--type=)."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = (Path("/proc") / pid / "cmdline").read_bytes().split(b"\0")
            stat = (Path("/proc") / pid / "stat").read_text()
        except OSError:
            continue
        # Chromium rewrites its command line into one string (its process title): split on spaces too.
        args = [a for part in cmdline for a in part.decode(errors="replace").split(" ") if a]
        if not args or "chrom" not in Path(args[0]).name:
            continue
        kind = next((a[7:] for a in args if a.startswith("--type=")), "browser")
        if kind == "utility":
            sub = next((a.split("=", 1)[1] for a in args if a.startswith("--utility-sub-type=")), kind)
            kind = sub.rsplit(".", 1)[-1]
        fields = stat.rsplit(")", 1)[1].split()
        used[f"{kind}:{pid}"] = (int(fields[11]) + int(fields[12])) / tick
    return used


def cpu_between(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, Any]:
    """What Chromium's processes used of the machine's cores over a window, by process."""
    spent = {k: round(v - before.get(k, 0.0), 2) for k, v in after.items() if v - before.get(k, 0.0) >= 0.01}
    total = sum(spent.values())
    return {
        "window_s": round(seconds, 2),
        "cpu_s": round(total, 2),
        "cores_busy": round(total / seconds, 2) if seconds > 0 else None,
        "cores": os.cpu_count(),
        "by_process": dict(sorted(spent.items(), key=lambda kv: -kv[1])),
    }


def long_tasks(state: dict[str, Any], start: float, end: float) -> dict[str, Any]:
    """The page's main thread in tasks of 50 ms or more between ``start`` and ``end`` (epoch ms)."""
    tasks = [(t, d) for t, d in state["longTasks"] if t >= start and t <= end]
    return {
        "count": len(tasks),
        "busy_ms": round(sum(d for _t, d in tasks)),
        "longest_ms": round(max((d for _t, d in tasks), default=0)),
        "window_ms": round(end - start),
        # Each task: when it began (ms after ``start``) and how long it took, to set beside the timeline.
        "tasks": [[round(t - start), round(d)] for t, d in tasks],
    }


def new_user(browser: Browser, base_url: str, name: str, browser_log: BrowserLog, **context_options: Any) -> User:
    handle = unique_handle(name)
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(JS / "instrument.js"))
    browser_log.watch_context(context, f"{name} @{handle}")
    page = sign_up(context, base_url, handle, PASSWORD)
    expect(page.get_by_role("navigation", name="Peerwall").get_by_role("status")).to_have_text(
        "Online", timeout=PEER_MS
    )
    return User(handle, PASSWORD, context, page)


def friends_region(page: Page):
    return page.get_by_role("region", name="Friends", exact=True)


def befriend_measured(a: User, b: User) -> dict[str, Any]:
    """``a`` asks, ``b`` accepts (both online); returns when each side showed the other as a friend."""
    go(a.page, "/friends", "Friends")
    go(b.page, "/friends", "Friends")
    panel = friends_region(a.page)
    panel.get_by_role("textbox", name="Friend's handle").fill(b.handle)
    panel.get_by_role("button", name="Add friend", exact=True).click()
    request = (
        friends_region(b.page)
        .locator("li")
        .filter(has_text=f"@{a.handle}")
        .filter(has=b.page.get_by_role("button", name="Accept", exact=True))
    )
    expect(request).to_be_visible(timeout=PEER_MS)
    watch(a.page, {"friend": b.handle})
    watch(b.page, {"friend": a.handle})
    request.get_by_role("button", name="Accept", exact=True).click()
    for page in (a.page, b.page):
        wait_mark(page, "friendConnected")
    sa, sb = bench_state(a.page), bench_state(b.page)
    click = sb["marks"]["click:Accept"]
    return {
        "asker_shows_friend_online_ms": sa["marks"]["friendOnline"] - click,
        "asker_shows_friend_connected_ms": sa["marks"]["friendConnected"] - click,
        "accepter_shows_friend_connected_ms": sb["marks"]["friendConnected"] - click,
    }


# --- 1. the raw data channel -----------------------------------------------------------------


def bench_raw(browser: Browser, base_url: str, reps: int) -> dict[str, Any]:
    library = (JS / "raw_channel.js").read_text()

    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/")
    page.evaluate(library)
    one = []
    for _ in range(reps):
        run = page.evaluate("(o) => window.__rawBench.onePage(o)", RAW)
        run["mbps"] = mbps(run["bytes"], run["ms"])
        one.append(run)
    # What every received event costs at least: one Ed25519 verification.
    verify = page.evaluate("(n) => window.__rawBench.verify(n)", VERIFY_N)
    # What every received event costs at least: its write to IndexedDB, by the app's own store.
    with tempfile.TemporaryDirectory() as tmp:
        # Evaluated, not a script tag: the app's pages allow no inline script (CSP).
        page.evaluate(build_bundle(BENCH / "idb" / "write_sizes.ts", Path(tmp)))
    name = f"bench-store-{secrets.token_hex(4)}"
    cpu_before = chromium_cpu()
    store = page.evaluate("([s, n, name]) => window.peerwallWriteSizes(s, n, name)", [STORE_BATCH, STORE_N, name])
    store_cpu_s = sum(chromium_cpu().values()) - sum(cpu_before.values())
    page.evaluate(
        "(name) => new Promise((r) => { const q = indexedDB.deleteDatabase(name); q.onsuccess = q.onerror = r; })", name
    )
    store = {
        "n": STORE_N,
        "batch": STORE_BATCH,
        "ms": round(store["ms"]),
        "perS": round(STORE_N / store["ms"] * 1000),
        "cpu_s": round(store_cpu_s, 3),
    }
    context.close()

    contexts = [browser.new_context(), browser.new_context()]
    sender, receiver = (c.new_page() for c in contexts)
    for p in (sender, receiver):
        p.goto(f"{base_url}/")
        p.evaluate(library)
    two = []
    for _ in range(reps):
        offer = sender.evaluate("() => window.__rawBench.offer()")
        answer = receiver.evaluate("([o, n]) => window.__rawBench.answer(o, n)", [offer, RAW["totalBytes"]])
        connected = sender.evaluate("(a) => window.__rawBench.accept(a)", answer)
        cpu_before = chromium_cpu()
        sent = sender.evaluate("(o) => window.__rawBench.send(o)", RAW)
        got = receiver.evaluate("() => window.__rawBench.received()")
        cpu_s = sum(chromium_cpu().values()) - sum(cpu_before.values())
        ms = got["end"] - sent["start"]
        two.append(
            {
                "connectMs": connected["connectMs"],
                "pair": connected["pair"],
                "ms": ms,
                "bytes": got["received"],
                "messages": got["messages"],
                "waits": sent["waits"],
                "maxMessageSize": sent["maxMessageSize"],
                "mbps": mbps(got["received"], ms),
                # What moving the bytes cost every Chromium process together.
                "cpu_s": round(cpu_s, 3),
            }
        )
        sender.evaluate("() => window.__rawBench.close()")
        receiver.evaluate("() => window.__rawBench.close()")
    for c in contexts:
        c.close()
    return {
        "parameters": RAW,
        "one_page": {"runs": one, "median_mbps": median([r["mbps"] for r in one])},
        "two_pages": {"runs": two, "median_mbps": median([r["mbps"] for r in two])},
        "ed25519_verify": verify,
        "store_write": store,
    }


# --- 2. friends: accept, reconnect -------------------------------------------------------------


def bench_friend(
    browser: Browser, base_url: str, alice: User, bob: User, pairs: int, log_: BrowserLog
) -> dict[str, Any]:
    runs = [befriend_measured(alice, bob)]
    # More pairs (new users, closed afterwards) for a median rather than a single sample.
    for i in range(1, pairs):
        a = new_user(browser, base_url, f"ask{i}", log_)
        b = new_user(browser, base_url, f"acc{i}", log_)
        try:
            runs.append(befriend_measured(a, b))
        finally:
            a.context.close()
            b.context.close()
    keys = runs[0].keys()
    return {"pairs": len(runs), "runs": runs, "median_ms": {k: median([r[k] for r in runs]) for k in keys}}


def _wire_first(wire: list[list[Any]], kind: str, after: float) -> float | None:
    return next((t for t, _n, k in wire if k == kind and t >= after), None)


def bench_reconnect(alice: User, bob: User, reps: int) -> dict[str, Any]:
    runs = []
    for i in range(reps):
        go(alice.page, "/", f"@{alice.handle}")
        go(bob.page, f"/wall/{alice.handle}", f"@{alice.handle}")
        watch(bob.page, {"friend": alice.handle})
        wait_mark(bob.page, "friendConnected")  # the link is up before bob reloads
        marker = f"reconnect probe {i + 1} {secrets.token_hex(4)}"
        watch_next_load(bob.page, {"friend": alice.handle, "marker": marker})
        alice.page.evaluate("() => window.__peerwallBench.resetWire()")

        bob.page.reload(wait_until="commit")  # bob's old page is gone; the new one is loading
        wall = alice.page.get_by_role("region", name=f"@{alice.handle}", exact=True)
        wall.get_by_role("textbox", name="New post").fill(marker)
        wall.get_by_role("button", name="Post", exact=True).click()
        wait_mark(bob.page, "post")

        sb, sa = bench_state(bob.page), bench_state(alice.page)
        t0 = sb["timeOrigin"]
        rel = {k: round(v - t0, 1) for k, v in sb["marks"].items() if not k.startswith("click:")}
        rel["alice_clicked_post"] = round(sa["marks"]["click:Post"] - t0, 1)
        for kind in ("hello", "events", "event"):
            sent = _wire_first(sa["wire"]["sent"], kind, t0)
            if sent is not None:
                rel[f"alice_sent_{kind}"] = round(sent - t0, 1)
        hello_in = _wire_first(sa["wire"]["recv"], "hello", t0)
        if hello_in is not None:
            rel["alice_got_hello"] = round(hello_in - t0, 1)
        bob_hello = _wire_first(sb["wire"]["sent"], "hello", t0)
        if bob_hello is not None:
            rel["bob_sent_hello"] = round(bob_hello - t0, 1)
        runs.append(rel)
        log(f"  reconnect {i + 1}: post shown {rel['post']:.0f} ms after bob's navigation start")
    watch_next_load(bob.page, None)
    keys = sorted({k for r in runs for k in r}, key=lambda k: median([r[k] for r in runs if k in r]) or 0)
    return {
        "reps": reps,
        "runs": runs,
        "median_ms": {k: median([r[k] for r in runs if k in r]) for k in keys},
        "post_shown_median_ms": median([r["post"] for r in runs]),
    }


# --- 3. catch-up of many events ---------------------------------------------------------------

COUNT_WALL = """async ({ db, wall }) => {
  const open = await new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const n = await new Promise((resolve, reject) => {
    const q = open.transaction("events", "readonly").objectStore("events").index("wall").count(IDBKeyRange.only(wall));
    q.onsuccess = () => resolve(q.result);
    q.onerror = () => reject(q.error);
  });
  open.close();
  return n;
}"""

# Polls bob's IndexedDB every 50 ms, from his page, until it holds `target` events of the wall;
# alongside, how many bytes his data channels have received (WebRTC's statistics).
POLL_WALL = """async ({ db, wall, target, timeoutMs }) => {
  const epoch = () => performance.timeOrigin + performance.now();
  const open = await new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const count = () => new Promise((resolve, reject) => {
    const q = open.transaction("events", "readonly").objectStore("events").index("wall").count(IDBKeyRange.only(wall));
    q.onsuccess = () => resolve(q.result);
    q.onerror = () => reject(q.error);
  });
  const samples = [];
  const channel = [];
  let last = -1;
  let lastBytes = -1;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [n, stats] = await Promise.all([count(), window.__peerwallBench.channelStats()]);
    const t = epoch();
    if (n !== last) { samples.push([t, n]); last = n; }
    if (stats[1] !== lastBytes) { channel.push(stats); lastBytes = stats[1]; }
    if (n >= target || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  open.close();
  return { samples, channel, timeOrigin: performance.timeOrigin, reached: last >= target, last };
}"""


# Moves the app to a route and waits until the page holds `count` articles: how long a wall takes
# to show (the app renders every post of a wall at once).
SHOW_WALL = """async ({ route, count, timeoutMs }) => {
  const t0 = performance.now();
  location.hash = route;
  return await new Promise((resolve) => {
    const timer = setInterval(() => {
      const n = document.querySelectorAll("article").length;
      const ms = performance.now() - t0;
      if (n >= count || ms > timeoutMs) {
        clearInterval(timer);
        resolve({ ms: n >= count ? ms : null, articles: n });
      }
    }, 20);
  });
}"""


def big_wall_figures(page: Page, owner: str, posts: int) -> dict[str, Any]:
    """bob opens ``owner``'s wall of ``posts`` posts, then writes one more on it: seconds, by the clock
    of this script (the page may not answer for a long time). CSS selectors only: Playwright's role
    queries compute accessible names over the whole page, which takes minutes on such a wall."""
    figures: dict[str, Any] = {"posts": posts}
    try:
        # bob is on that wall already (the catch-up's view): away to his own first, so that the route changes.
        page.evaluate("() => { location.hash = '/'; }")
        page.wait_for_function(
            "(h) => [...document.querySelectorAll('h1')].every((e) => e.textContent.trim() !== h)",
            arg=f"@{owner}",
            timeout=SHOW_WALL_TIMEOUT_MS,
        )
        started = time.monotonic()
        shown = page.evaluate(SHOW_WALL, {"route": f"/wall/{owner}", "count": posts, "timeoutMs": SHOW_WALL_TIMEOUT_MS})
        figures["all_articles_in_page_s"] = None if shown["ms"] is None else round(shown["ms"] / 1000, 2)
        figures["articles"] = shown["articles"]
        page.wait_for_function("() => true", timeout=3 * SHOW_WALL_TIMEOUT_MS)
        figures["page_answers_again_s"] = round(time.monotonic() - started, 2)
        marker = f"one more post {secrets.token_hex(4)}"
        page.locator("form.composer textarea").fill(marker, timeout=SHOW_WALL_TIMEOUT_MS)
        page.locator("form.composer button[type=submit]").click(timeout=SHOW_WALL_TIMEOUT_MS)
        clicked = time.monotonic()
        page.locator("article .post-text", has_text=marker).first.wait_for(timeout=3 * SHOW_WALL_TIMEOUT_MS)
        figures["one_more_post_shown_s"] = round(time.monotonic() - clicked, 2)
    except Exception as error:
        traceback.print_exc()
        figures["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    return figures


def receiver_watch(owner: str) -> dict[str, Any]:
    """What a catching-up friend's next page watches: the link to ``owner`` and the first posts of her wall."""
    return {"friend": owner, "wallPosts": {"owner": owner, "count": FIRST_POSTS, "text": SEED_TEXT}}


def go_offline(user: User, owner: User) -> int:
    """``user``'s pages close (his context, cookies and IndexedDB stay); his next page will watch for
    ``owner``'s link and wall. Returns how many events of ``owner``'s wall he holds."""
    page = user.page
    watch_next_load(page, receiver_watch(owner.handle))
    held = page.evaluate(COUNT_WALL, {"db": f"peerwall-{user.handle.lower()}", "wall": owner.handle})
    for p in list(user.context.pages):
        p.close()
    return held


class Seeded:
    """How many posts bench/seed/seed.ts has put on alice's wall so far, and their JSON bytes."""

    def __init__(self) -> None:
        self.count = 0
        self.json_bytes = 0


def bench_catchup(
    base_url: str,
    alice: User,
    bob: User,
    size: int,
    seeded: Seeded,
    seed_js: str,
    timeout_s: float,
    held_before: int | None = None,
    also_offline: tuple[User, ...] = (),
    readable_app: bytes | None = None,
    big_wall: bool = False,
) -> dict[str, Any]:
    """Catch-up of alice's wall once it holds ``size`` seeded posts (``seeded`` says how many it holds
    already: only the rest is seeded now) by ``bob``, who comes back on his view of her wall.

    ``held_before``: what bob held of her wall when he went offline (his pages already closed by
    go_offline); None: he is online now and goes offline here. ``also_offline``: other friends of
    alice who must be offline meanwhile (their pages are closed here). With ``readable_app`` (the
    caller routes app.js to it), both pages run under the CPU profiler; with ``big_wall``, bob
    then opens alice's wall and writes on it."""
    db_bob = f"peerwall-{bob.handle.lower()}"
    db_alice = f"peerwall-{alice.handle.lower()}"
    scale = max(1.0, size / 10_000)  # the time bounds grow with the wall

    # bob goes offline (and whoever else must be): pages closed, contexts (cookies, IndexedDB) kept.
    before_bob = go_offline(bob, alice) if held_before is None else held_before
    for other in also_offline:
        if other.context.pages:
            go_offline(other, alice)
    go(alice.page, "/friends", "Friends")
    for user in (bob, *also_offline):
        friends_region(alice.page).locator("li.friend").filter(has_text=f"@{user.handle}").locator(
            ".presence.is-offline"
        ).wait_for(timeout=PEER_MS)

    # alice's wall grows to `size` signed posts, written by the app's own code into her IndexedDB.
    count = size - seeded.count
    if count <= 0:
        raise RuntimeError(f"alice's wall holds {seeded.count} seeded posts already: nothing to add for {size}")
    alice.page.add_script_tag(content=seed_js)
    seed = alice.page.evaluate("([h, n]) => window.peerwallSeed(h, n)", [alice.handle, count])
    seeded.count += seed["count"]
    seeded.json_bytes += seed["jsonBytes"]
    log(
        f"  seeded {seed['count']} posts ({seed['jsonBytes'] / MB:.2f} MB of JSON) in "
        f"{(seed['signMs'] + seed['writeMs']) / 1000:.1f} s: {seeded.count} on alice's wall"
    )
    target = alice.page.evaluate(COUNT_WALL, {"db": db_alice, "wall": alice.handle})

    # alice reloads: her engine loads everything from the store. She waits on the Friends view.
    watch_next_load(alice.page, {"friend": bob.handle})
    alice.page.reload(wait_until="commit")
    wait_mark(alice.page, "appRendered", int(120_000 * scale))
    wait_mark(alice.page, "brokerOnline", PEER_MS)
    sa0 = bench_state(alice.page)
    alice_load = {k: round(v - sa0["timeOrigin"], 1) for k, v in sa0["marks"].items() if not k.startswith("click:")}
    watch_next_load(alice.page, None)
    time.sleep(0.5)  # let alice's first renders settle before bob arrives

    # bob comes back: a new page in his context, on alice's wall.
    page = bob.context.new_page()
    bob.page = page
    profilers: dict[str, Profiler] = {}
    if readable_app is not None:
        # A same-origin page first, so that the profiled renderer is the one the app runs in.
        page.goto(f"{base_url}/healthz")
        profilers = {"bob": Profiler(page), "alice": Profiler(alice.page)}
        for profiler in profilers.values():
            profiler.start()
    cpu_before, wall_before = chromium_cpu(), time.monotonic()
    page.goto(app_url(base_url, f"/wall/{alice.handle}"), wait_until="commit")
    poll = page.evaluate(
        POLL_WALL, {"db": db_bob, "wall": alice.handle, "target": target, "timeoutMs": int(timeout_s * scale * 1000)}
    )
    # The poll returns as the last event is stored (it samples every few ms).
    cpu = cpu_between(cpu_before, chromium_cpu(), time.monotonic() - wall_before)
    if poll["reached"]:
        try:  # the first posts are normally long on screen by now; if not, give them a little longer
            wait_mark(page, "wallPostsFrame", 30_000)
        except RuntimeError as error:
            log(f"  {error}")
    sb, sa = bench_state(page), bench_state(alice.page)
    watch_next_load(page, None)
    profiles = {
        who: profiler.stop(PROFILES / f"catchup-{size}-{who}.cpuprofile") for who, profiler in profilers.items()
    }

    t0 = poll["timeOrigin"]
    samples = poll["samples"]
    done_at = samples[-1][0]
    new_events = samples[-1][1] - before_bob
    first_growth = next((t for t, n in samples if n > samples[0][1]), None)
    dispatched = [m for m in sb["wire"]["recv"] if m[2] == "events"]
    sent = [m for m in sa["wire"]["sent"] if m[2] == "events" and m[0] >= t0]
    rel = lambda t: None if t is None else round(t - t0, 1)  # noqa: E731
    bytes_per_event = seeded.json_bytes / seeded.count
    result: dict[str, Any] = {
        # The wall's seeded posts (all of which bob catches up), and what this round added to it.
        "events_seeded": seeded.count,
        "seeded_now": seed["count"],
        "event_json_bytes": seeded.json_bytes,
        "bytes_per_event": round(bytes_per_event, 1),
        "seed": {"sign_ms": round(seed["signMs"]), "write_ms": round(seed["writeMs"])},
        "alice_reload_ms": alice_load,
        "target_events_on_wall": target,
        "receiver": bob.handle,
        "bob_had_before": before_bob,
        "bob_has_after": samples[-1][1],
        "new_events": new_events,
        "complete": poll["reached"],
        "visibility": {"alice": sa["visibility"], "bob": sb["visibility"]},
    }
    if not poll["reached"]:
        result["error"] = (
            f"catch-up incomplete after {timeout_s * scale:.0f} s: bob holds {samples[-1][1]} of {target} events "
            f"of @{alice.handle}'s wall"
        )
    # The timeline, in ms after bob's navigation start.
    timeline: dict[str, float | None] = {k: rel(v) for k, v in sb["marks"].items() if not k.startswith("click:")}
    if sent:
        timeline["alice_sent_first_events"] = rel(sent[0][0])
        timeline["alice_sent_last_events"] = rel(sent[-1][0])
    channel = poll["channel"]
    if channel:
        # When WebRTC had received (nearly) everything it ever received in this window.
        total = channel[-1][1]
        timeline["bob_channel_has_half_the_bytes"] = rel(next(t for t, b, _m in channel if b >= total / 2))
        timeline["bob_channel_has_all_bytes"] = rel(next(t for t, b, _m in channel if b >= total))
        result["channel_bytes_received"] = total
    if dispatched:
        timeline["bob_page_dispatched_first_events"] = rel(dispatched[0][0])
        timeline["bob_page_dispatched_last_events"] = rel(dispatched[-1][0])
        result["events_frames"] = len(dispatched)
        result["events_frame_bytes"] = sum(m[1] for m in dispatched)
    timeline["bob_first_stored"] = rel(first_growth)
    timeline["bob_all_stored"] = rel(done_at)
    result["timeline_ms"] = dict(sorted(timeline.items(), key=lambda kv: kv[1] if kv[1] is not None else 1e18))
    # Both pages' main threads over the same window: bob's navigation start → all stored.
    result["bob_long_tasks"] = long_tasks(sb, t0, done_at)
    result["alice_long_tasks"] = long_tasks(sa, t0, done_at)
    # The catch-up itself, without bob's page loading: alice's first `events` frame → all stored.
    first_sent = sent[0][0] if sent else t0
    result["bob_long_tasks_catchup"] = long_tasks(sb, first_sent, done_at)
    result["alice_long_tasks_catchup"] = long_tasks(sa, first_sent, done_at)
    # Is the machine the bound? What every Chromium process used of its cores over the window.
    result["chromium_cpu"] = cpu
    result["first_posts"] = first_posts(sb["marks"], sb["counts"], t0)
    # Progress, thinned to about 40 points, for whoever wants the curve.
    step = max(1, len(samples) // 40)
    result["progress_ms_count"] = [[round(t - t0), n] for t, n in samples[::step]] + [[round(done_at - t0), new_events]]

    nbytes = bytes_per_event * new_events
    total_ms = done_at - t0
    result["from_navigation"] = {
        "ms": round(total_ms, 1),
        "events_per_s": new_events / (total_ms / 1000),
        "mbps": mbps(nbytes, total_ms),
    }
    if sent:
        # Like the raw figure: from the first byte sent to the last one landed (here: stored).
        transfer_ms = done_at - sent[0][0]
        result["transfer"] = {
            "ms": round(transfer_ms, 1),
            "events_per_s": new_events / (transfer_ms / 1000),
            "mbps": mbps(nbytes, transfer_ms),
        }
    if profiles:
        result["profiles"] = profiles

    if big_wall and poll["reached"]:
        result["big_wall"] = big_wall_figures(page, alice.handle, target)
    return result


def first_posts(marks: dict[str, float], counts: dict[str, int], t0: float) -> dict[str, Any]:
    """Time to the first FIRST_POSTS seeded posts on bob's view of alice's wall, after his link to her
    connected (the Friends list shows her connected: hello and proof done over the data channel)."""
    connected = marks.get("friendConnected")
    in_page = marks.get("wallPosts")
    frame = marks.get("wallPostsFrame")
    shown = frame if frame is not None else in_page
    out: dict[str, Any] = {
        "posts": FIRST_POSTS,
        "goal_ms": FIRST_POSTS_GOAL_MS,
        "most_seen": counts.get("wallPosts"),
        "link_connected_ms": None if connected is None else round(connected - t0, 1),
        "in_page_ms": None if in_page is None else round(in_page - t0, 1),
        "frame_ms": None if frame is None else round(frame - t0, 1),
    }
    if connected is not None and shown is not None:
        out["after_link_connected_ms"] = round(shown - connected, 1)
        out["verdict"] = "met" if shown - connected <= FIRST_POSTS_GOAL_MS else "missed"
    else:
        out["after_link_connected_ms"] = None
        out["verdict"] = "not measured"
    return out


# --- the report --------------------------------------------------------------------------------


def ratio(a: float | None, b: float | None, digits: int = 3) -> str:
    return fmt(a / b if a is not None and b else None, "", digits)


def catchup_rounds(results: dict[str, Any]) -> list[tuple[int | None, dict[str, Any]]]:
    """(wall size, figures) of every catch-up, smallest first: "catchup", then "catchup_more"."""
    sizes = list(results.get("parameters", {}).get("events") or [])
    rounds = [results["catchup"]] if "catchup" in results else []
    rounds += results.get("catchup_more", [])
    return [(sizes[i] if i < len(sizes) else None, cu) for i, cu in enumerate(rounds)]


def catchup_report(results: dict[str, Any], one: float | None, two: float | None) -> list[str]:
    rounds = catchup_rounds(results)
    if not rounds:
        return []
    sizes = " and ".join(f"{size:,}" if size else "?" for size, _cu in rounds)
    out = [f"## 3. Catch-up on reconnect: walls of {sizes} events", ""]
    out += [
        "Each wall size is caught up by a friend of alice's who was offline while the posts were written and holds "
        "none of them; he comes back on his view of her wall. Long tasks (≥ 50 ms) on both pages over the same "
        "window: during the catch-up (alice's first `events` frame → all stored), and in brackets the longest from "
        "bob's navigation start, his page's loading included. First posts: from bob's link to alice connected (his "
        f"Friends list shows her connected) until {FIRST_POSTS} of the new posts are on his view of her wall (the "
        "animation frame after they are in the page).",
        "",
        "| wall | events caught up | MB of JSON | alice's first `events` frame → all stored | MB/s | "
        "÷ raw two contexts (target ≥ 0.5) | bob: longest task in the catch-up (from navigation) | alice: longest "
        f"task in the catch-up (from bob's navigation) | first {FIRST_POSTS} posts after the link connected (goal ≤ "
        f"{FIRST_POSTS_GOAL_MS / 1000:g} s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, cu in rounds:
        label = f"{size:,}" if size else "?"
        if "events_seeded" not in cu:
            out.append(f"| {label} | NOT MEASURED: {cu.get('error')} | | | | | | | |")
            continue
        tr = cu.get("transfer") or {}
        r = tr["mbps"] / two if tr.get("mbps") and two else None
        bl, al, fp = cu["bob_long_tasks"], cu.get("alice_long_tasks"), cu.get("first_posts") or {}
        bc, ac = cu.get("bob_long_tasks_catchup") or {}, cu.get("alice_long_tasks_catchup") or {}
        seconds = tr["ms"] / 1000 if tr.get("ms") else None
        verdict = "n/a" if r is None else "met" if r >= 0.5 else "missed"
        out.append(
            f"| {label}{' (INCOMPLETE)' if cu.get('error') else ''} | {cu['new_events']:,} | "
            f"{cu['bytes_per_event'] * cu['new_events'] / MB:.2f} | {fmt(seconds, ' s', 2)} | "
            f"{fmt(tr.get('mbps'), '', 2)} | **{fmt(r, '', 3)}** ({verdict})"
            f" | {fmt(bc.get('longest_ms'), ' ms', 0)} ({bl['longest_ms']:,} ms) | "
            + (f"{fmt(ac.get('longest_ms'), ' ms', 0)} ({al['longest_ms']:,} ms)" if al else "n/a")
            + f" | **{fmt(fp.get('after_link_connected_ms'), ' ms', 0)}** ({fp.get('verdict', 'not measured')}) |"
        )
    for size, cu in rounds:
        out += ["", f"### {size:,} events" if size else "### ?", ""]
        if "events_seeded" not in cu:
            out.append(f"NOT MEASURED: {cu.get('error')}")
            continue
        out += catchup_details(results, cu, one, two)
    out.append("")
    return out


def catchup_details(results: dict[str, Any], cu: dict[str, Any], one: float | None, two: float | None) -> list[str]:
    out: list[str] = []
    if cu.get("error"):
        out += [f"INCOMPLETE: {cu['error']}", ""]
    nav, tr = cu["from_navigation"], cu.get("transfer")
    out += [
        f"alice's wall: {cu['events_seeded']:,} seeded posts ({cu.get('seeded_now', cu['events_seeded']):,} of them "
        f"added for this round), {cu['event_json_bytes'] / MB:.2f} MB of event JSON ({cu['bytes_per_event']:.0f} B an "
        f"event, as stored: with seq, dev and osig). bob (@{cu.get('receiver', '?')}) held "
        f"{cu['bob_had_before']:,} events of it and caught up {cu.get('new_events', 0):,}, in "
        f"{cu.get('events_frames', '?')} `events` frames ({cu.get('events_frame_bytes', 0) / MB:.2f} MB).",
        "",
        "| from → to | time | events/s | MB/s | ÷ raw two contexts | ÷ raw one page |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| bob's navigation start → all in his IndexedDB | {fmt(nav['ms'] / 1000, ' s', 2)} | "
        f"{fmt(nav['events_per_s'], '', 0)} | {fmt(nav['mbps'], '', 2)} | {ratio(nav['mbps'], two)} | "
        f"{ratio(nav['mbps'], one)} |",
    ]
    if tr:
        verdict = "met" if two and tr["mbps"] / two >= 0.5 else "missed"
        out.append(
            f"| alice's first `events` frame sent → all stored (as the raw figure is timed) | "
            f"{fmt(tr['ms'] / 1000, ' s', 2)} | {fmt(tr['events_per_s'], '', 0)} | {fmt(tr['mbps'], '', 2)} | "
            f"**{ratio(tr['mbps'], two)}** (target ≥ 0.5: {verdict}) | {ratio(tr['mbps'], one)} |"
        )
    bl, al = cu["bob_long_tasks"], cu.get("alice_long_tasks")
    out += [
        "",
        "Timeline, ms after bob's navigation start: "
        + ", ".join(f"{k} {fmt(v, '', 0)}" for k, v in cu["timeline_ms"].items())
        + ".",
        "",
        f"Main thread in long tasks (≥ 50 ms) during those {bl['window_ms']:,} ms: bob (receives) {bl['count']} "
        f"task{'' if bl['count'] == 1 else 's'}, {bl['busy_ms']:,} ms, the longest {bl['longest_ms']:,} ms"
        + (
            f"; alice (sends) {al['count']} task{'' if al['count'] == 1 else 's'}, {al['busy_ms']:,} ms, the longest "
            f"{al['longest_ms']:,} ms"
            if al
            else ""
        )
        + f" (goal: none over 100 ms). alice's reload with {cu['target_events_on_wall']:,} events on her wall: app "
        f"shown {fmt(cu['alice_reload_ms'].get('appRendered'), ' ms', 0)} after navigation start.",
    ]
    for who, tasks in (("bob", bl), ("alice", al)):
        if tasks and tasks.get("tasks"):
            listed = ", ".join(f"[{t}, {d}]" for t, d in tasks["tasks"])
            out += ["", f"Long tasks of {who}'s page, [ms after bob's navigation start, ms long]: {listed}."]
    fp = cu.get("first_posts")
    if fp:
        out += [
            "",
            f"First {fp['posts']} posts on bob's view of alice's wall: the link connected at "
            f"{fmt(fp['link_connected_ms'], ' ms', 0)}, {fp['posts']} posts in the page at "
            f"{fmt(fp['in_page_ms'], ' ms', 0)}, in the next frame at {fmt(fp['frame_ms'], ' ms', 0)} (after bob's "
            f"navigation start): **{fmt(fp['after_link_connected_ms'], ' ms', 0)} after the link connected** "
            f"(goal ≤ {fp['goal_ms']:,} ms: {fp['verdict']})."
            + (
                f" The most seen at once: {fp['most_seen']}."
                if fp.get("in_page_ms") is None and fp.get("most_seen") is not None
                else ""
            ),
        ]
    cpu = cu.get("chromium_cpu")
    if cpu:
        top = ", ".join(f"{k.split(':')[0]} {v:.2f}" for k, v in list(cpu["by_process"].items())[:6])
        out += [
            "",
            f"CPU over the same window ({cpu['window_s']:.2f} s, /proc of every Chromium process): "
            f"{cpu['cpu_s']:.2f} CPU-seconds, **{cpu['cores_busy']:.2f} of the machine's {cpu['cores']} cores** "
            f"busy on average (the app's Worker runs in its page's renderer). By process, CPU-seconds: {top}.",
        ]
    w = results.get("raw", {}).get("store_write")
    if w and two:
        ceiling = mbps(w["perS"] * cu["bytes_per_event"], 1000)
        out += [
            "",
            f"Writing them alone, at section 1's rate of the app's store ({fmt(w['perS'], ' events/s', 0)}), would "
            f"take {fmt(cu.get('new_events', cu['events_seeded']) / w['perS'], ' s', 2)}: a ceiling of "
            f"{fmt(ceiling, ' MB/s', 2)} = **{ratio(ceiling, two, 2)} of the raw channel** between two contexts, "
            "however well everything else overlaps it.",
        ]
    runs = results.get("raw", {}).get("two_pages", {}).get("runs", [])
    cpu_per_mb = median([r["cpu_s"] / (r["bytes"] / MB) for r in runs if r.get("cpu_s")]) if runs else None
    if w and two and cpu_per_mb and w.get("cpu_s"):
        events = cu.get("new_events", cu["events_seeded"])
        moving = cpu_per_mb * cu["event_json_bytes"] / MB
        storing = w["cpu_s"] / w["n"] * events
        cores = (cu.get("chromium_cpu") or {}).get("cores") or os.cpu_count() or 1
        floor_s = (moving + storing) / cores
        ceiling = cu["event_json_bytes"] / MB / floor_s
        out += [
            "",
            f"CPU alone: moving bytes over the raw channel costs Chromium {cpu_per_mb:.2f} CPU-seconds a MB "
            f"(section 1, median of its runs), and the store {w['cpu_s'] / w['n'] * 1000:.3f} CPU-ms an event. "
            f"These events need at least {moving:.2f} + {storing:.2f} CPU-seconds for that alone; on "
            f"{cores} cores, no less than {floor_s:.2f} s: a ceiling of {fmt(ceiling, ' MB/s', 2)} = "
            f"**{ratio(ceiling, two, 2)} of the raw channel**, before any check or any render.",
        ]
    big = cu.get("big_wall")
    if big:
        out += [
            "",
            f"Then (--big-wall) bob opens alice's wall of {big['posts']:,} posts, each rendered: all articles in "
            f"the page after {fmt(big.get('all_articles_in_page_s'), ' s', 1)}, the page answers again after "
            f"{fmt(big.get('page_answers_again_s'), ' s', 1)}; one more post by bob shows "
            f"{fmt(big.get('one_more_post_shown_s'), ' s', 1)} after his click on Post."
            + (f" Stopped: {big['error']}." if "error" in big else ""),
        ]
    for who, prof in cu.get("profiles", {}).items():
        out += [
            "",
            f"CPU profile of {who}'s page over {prof['span_ms']:,.0f} ms (--profile, unminified app): self time "
            + "; ".join(f"{k} {v:,.0f}" for k, v in prof["self_ms"][:12])
            + ". Total (inclusive) time: "
            + "; ".join(f"{k} {v:,.0f}" for k, v in prof["total_ms"][:16])
            + ".",
        ]
    return out


def summary(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        f"# Peerwall sync benchmark — {results['date']}",
        "",
        f"{m.get('nproc')} CPUs ({m.get('cpu', '?')}), {m.get('mem_gb', '?')} GB; Chromium {m.get('chromium')}, "
        f"Playwright {m.get('playwright')}, PeerJS {m.get('peerjs')}, Node {m.get('node')}; tree {m.get('git')}; "
        f"{'inside' if m.get('network_namespace') else 'NOT inside'} a network namespace (scripts/in-netns). "
        f"Load average {m.get('loadavg_at_start')} at the start, {m.get('loadavg_at_end')} at the end. "
        "One run, one Chromium process, one browser context per user. MB = 10^6 bytes.",
        "",
    ]

    raw = results.get("raw", {})
    one = raw.get("one_page", {}).get("median_mbps")
    two = raw.get("two_pages", {}).get("median_mbps")
    out += ["## 1. Raw data channel (the reference)", ""]
    if "error" in raw:
        out.append(f"NOT MEASURED: {raw['error']}")
    elif raw:
        p = raw["parameters"]
        out += [
            f"{p['totalBytes'] // MiB} MiB in {p['chunkBytes'] // 1024} KiB ArrayBuffers on an ordered, reliable "
            f"RTCDataChannel; bufferedAmountLowThreshold {p['lowThreshold'] // MiB} MiB, wait for it above "
            f"{p['highWater'] // MiB} MiB; timed from the first send() to the last byte received.",
            "",
            "| path | runs, MB/s | median MB/s | connect, ms | pair |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, key in (
            ("one page, two RTCPeerConnections", "one_page"),
            ("two contexts, SDP carried by the test", "two_pages"),
        ):
            runs = raw[key]["runs"]
            out.append(
                f"| {label} | {', '.join(fmt(r['mbps']) for r in runs)} | **{fmt(raw[key]['median_mbps'])}** | "
                f"{fmt(median([r['connectMs'] for r in runs]), '', 0)} | {runs[0].get('pair')} |"
            )
        v = raw.get("ed25519_verify")
        if v:
            out += [
                "",
                f"Ed25519 verification with WebCrypto in this browser ({v['n']:,} signatures): "
                f"{fmt(v['oneByOnePerS'], '/s', 0)} awaited one by one, {fmt(v['allAtOncePerS'], '/s', 0)} all at "
                "once. A catch-up from the wall's owner checks one signature a batch (bsig, about 27 events) and "
                "one per event by someone else whose key I pinned; a carried wall one or two per event.",
            ]
        w = raw.get("store_write")
        if w:
            out += [
                "",
                f"The app's store (Repository.write, {w['batch']:,} events a transaction, as a catch-up writes): "
                f"{w['n']:,} events of the catch-up's shape in {w['ms']:,} ms, **{w['perS']:,} events/s**. Every "
                "event a catch-up brings is written, so this bounds it (see section 3).",
            ]
    out.append("")

    out += ["## 2. Friends", ""]
    friend, rec = results.get("friend", {}), results.get("reconnect", {})
    out += ["| what | median | runs |", "| --- | --- | --- |"]
    if "error" in friend:
        out.append(f"| friend request accepted | NOT MEASURED: {friend['error']} | |")
    elif friend:
        for key, label in (
            ("asker_shows_friend_online_ms", "(a) bob clicks Accept → alice's Friends list shows “@bob online”"),
            ("asker_shows_friend_connected_ms", "(a) … and shows the link to bob connected"),
            ("accepter_shows_friend_connected_ms", "(a) … bob shows the link to alice connected"),
        ):
            runs = ", ".join(fmt(r[key], "", 0) for r in friend["runs"])
            pairs = f"{friend['pairs']} pair{'s' if friend['pairs'] != 1 else ''}"
            out.append(f"| {label} | **{fmt(friend['median_ms'][key], ' ms', 0)}** | {runs} ({pairs}) |")
    if "error" in rec:
        out.append(f"| reconnect after a reload | NOT MEASURED: {rec['error']} | |")
    elif rec:
        runs = ", ".join(fmt(r["post"], "", 0) for r in rec["runs"])
        out.append(
            "| (b) bob reloads → the post alice wrote meanwhile shows on bob's view of her wall, from bob's "
            f"navigation start | **{fmt(rec['post_shown_median_ms'], ' ms', 0)}** | {runs} |"
        )
        med = rec["median_ms"]
        out += [
            "",
            "Reconnect timeline, median ms after bob's navigation start: "
            + ", ".join(f"{k} {fmt(v, '', 0)}" for k, v in med.items())
            + ".",
        ]
    out.append("")

    out += catchup_report(results, one, two)
    if results.get("notes"):
        out += ["## Notes", ""]
        out += [f"- {note}" for note in results["notes"]]
    return "\n".join(out) + "\n"


# --- main ------------------------------------------------------------------------------------


def wall_sizes(text: str) -> list[int]:
    """``--events``: "10000,50000" → [10000, 50000], positive and growing."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not sizes or sizes[0] <= 0 or any(b <= a for a, b in itertools.pairwise(sizes)):
        raise argparse.ArgumentTypeError(f"wall sizes must be positive and growing: {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events",
        type=wall_sizes,
        default=[10_000, 50_000],
        help="wall sizes for the catch-up, comma-separated, growing: the same wall gets the posts that each size "
        "adds, and another friend catches it up (10000,50000)",
    )
    parser.add_argument("--raw-reps", type=int, default=3)
    parser.add_argument("--reconnects", type=int, default=5)
    parser.add_argument("--friend-pairs", type=int, default=3, help="pairs befriending each other for (a)")
    parser.add_argument(
        "--catchup-timeout", type=float, default=150.0, help="seconds per 10,000 events of the wall (150)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the catch-up under V8's CPU profiler with an unminified app (slower: a diagnosis, not a figure)",
    )
    parser.add_argument(
        "--big-wall",
        action="store_true",
        help="after the catch-up, time bob opening alice's wall of all those posts and writing on it (minutes)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; write nothing to bench/results")
    args = parser.parse_args(argv)

    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    results: dict[str, Any] = {
        "bench": "sync",
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_info(),
        "parameters": vars(args),
        "notes": [],
    }
    if not results["machine"]["network_namespace"]:
        log("not inside scripts/in-netns: the browsers use this machine's own interface address")

    browser_log = BrowserLog()
    with tempfile.TemporaryDirectory(prefix="peerwall-bench-") as tmp:
        seed_js = build_seed_bundle(Path(tmp))
        readable_app = build_readable_app(Path(tmp)) if args.profile else None
        with LiveServer.start(Path(tmp) / "server") as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            results["machine"]["chromium"] = browser.version
            try:
                run_all(results, args, browser, server.url, seed_js, readable_app, browser_log)
            finally:
                browser.close()

    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["page_errors"] = browser_log.errors
    results["console_warnings"] = [line for line in browser_log.lines if "console.warning" in line][:50]
    PROFILES.mkdir(parents=True, exist_ok=True)
    (PROFILES / "sync-console.log").write_text("\n".join(browser_log.lines) + "\n")
    results["run_seconds"] = round(time.monotonic() - started, 1)
    failed = [k for k in ("raw", "friend", "reconnect", "catchup") if "error" in results.get(k, {"error": "not run"})]
    failed += [f"catchup of {size:,}" for size, cu in catchup_rounds(results)[1:] if "error" in cu and size is not None]
    if len(catchup_rounds(results)) < len(args.events):
        failed.append("the larger catch-ups")
    if failed:
        results["notes"].append(f"not measured (see the error in the JSON): {', '.join(failed)}")
    if browser_log.errors:
        results["notes"].append(f"{len(browser_log.errors)} uncaught page errors, e.g. {browser_log.errors[0]}")
    results["notes"].append(f"whole run: {results['run_seconds']} s")

    text = summary(results)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        json_path = RESULTS / f"sync-{now.strftime('%Y-%m-%d')}.json"
        json_path.write_text(json.dumps(results, indent=1) + "\n")
        (RESULTS / "sync-latest.md").write_text(text)
        log(f"wrote {json_path.relative_to(ROOT)} and bench/results/sync-latest.md")
    return 1 if failed else 0


def run_all(
    results: dict[str, Any],
    args: argparse.Namespace,
    browser: Browser,
    base_url: str,
    seed_js: str,
    readable_app: bytes | None,
    browser_log: BrowserLog,
) -> None:
    section(results, "raw", lambda: bench_raw(browser, base_url, args.raw_reps))

    users: dict[str, User] = {}

    def make_users() -> dict[str, Any]:
        # alice's context bypasses the page's CSP: the seeding script is injected as a <script>.
        users["alice"] = new_user(browser, base_url, "alice", browser_log, bypass_csp=True)
        users["bob"] = new_user(browser, base_url, "bob", browser_log)
        return {"alice": users["alice"].handle, "bob": users["bob"].handle}

    if not section(results, "users", make_users):
        return
    alice, bob = users["alice"], users["bob"]
    if not section(
        results, "friend", lambda: bench_friend(browser, base_url, alice, bob, args.friend_pairs, browser_log)
    ):
        return
    section(results, "reconnect", lambda: bench_reconnect(alice, bob, args.reconnects))

    # One more friend of alice's for every larger wall: befriended now, while her wall is small, and
    # offline until his own round, so that he catches up the whole wall (none of it is his yet).
    receivers: list[tuple[User, int | None]] = [(bob, None)]

    def more_receivers() -> dict[str, Any]:
        handles = {}
        for size in args.events[1:]:
            friend = new_user(browser, base_url, "bob", browser_log)
            befriend_measured(alice, friend)
            # He holds her small wall before he goes: what he catches up later is only what is new.
            wall = {"db": f"peerwall-{alice.handle.lower()}", "wall": alice.handle}
            want = alice.page.evaluate(COUNT_WALL, wall)
            mine = {"db": f"peerwall-{friend.handle.lower()}", "wall": alice.handle}
            deadline = time.monotonic() + PEER_MS / 1000
            while friend.page.evaluate(COUNT_WALL, mine) < want:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"@{friend.handle} did not get @{alice.handle}'s {want} events in time")
                time.sleep(0.2)
            receivers.append((friend, go_offline(friend, alice)))
            handles[str(size)] = friend.handle
        return handles

    if len(args.events) > 1 and not section(results, "catchup_receivers", more_receivers):
        return
    if readable_app is not None:
        for user in (alice, *(r for r, _held in receivers)):
            user.context.route(
                "**/static/frontend/app.js*",
                lambda route: route.fulfill(body=readable_app, content_type="text/javascript"),
            )
    seeded = Seeded()
    results["catchup_more"] = []
    for i, (size, (receiver, held)) in enumerate(zip(args.events, receivers, strict=True)):
        others = tuple(r for r, _held in receivers if r is not receiver)
        round_results: dict[str, Any] = {}
        section(
            round_results,
            "catchup",
            lambda size=size, receiver=receiver, held=held, others=others: bench_catchup(
                base_url,
                alice,
                receiver,
                size,
                seeded,
                seed_js,
                args.catchup_timeout,
                held,
                others,
                readable_app,
                args.big_wall,
            ),
            indent="" if i == 0 else "  ",
        )
        if i == 0:
            results["catchup"] = round_results["catchup"]
        else:
            results["catchup_more"].append(round_results["catchup"])
        if seeded.count != size:
            break  # the wall is not the size the next round counts on
    for user in (alice, *(r for r, _held in receivers)):
        user.context.close()


if __name__ == "__main__":
    sys.exit(main())
