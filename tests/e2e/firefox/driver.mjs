// Drives one Firefox (Debian's firefox-esr, over WebDriver BiDi with puppeteer-core) for a
// Python end-to-end test: one JSON command a line on stdin, one JSON answer a line on stdout.
// Python Playwright cannot drive this Firefox (it needs Playwright's patched build).
//
//   {"id": 1, "op": "goto", "url": "..."}                  -> {"id": 1, "ok": true}
//   {"id": 2, "op": "eval", "js": "() => document.title"}  -> {"id": 2, "ok": true, "value": "..."}
//   {"id": 3, "op": "waitFor", "js": "() => ...", "timeout": 30000}
//   {"id": 4, "op": "type", "selector": "#id_username", "text": "alice"}   (real key presses)
//   {"id": 5, "op": "click", "selector": "..."}  {"op": "upload", "selector": "...", "files": [...]}
//   {"id": 6, "op": "screenshot", "path": "..."}  {"op": "logs"} (console errors, page errors)
import { createInterface } from "node:readline";
import puppeteer from "puppeteer-core";

const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
  headless: true,
  extraPrefsFirefox: {
    // Host candidates as addresses, as Chromium's test flags do: the test's network has no mDNS.
    "media.peerconnection.ice.obfuscate_host_addresses": false,
    "dom.webnotifications.enabled": false,
  },
});
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 900 });
const logs = [];
page.on("console", (message) => {
  if (message.type() === "error" || message.type() === "warn")
    logs.push({ type: message.type(), text: message.text() });
});
page.on("pageerror", (error) => logs.push({ type: "pageerror", text: String(error?.message ?? error) }));

const ops = {
  goto: async (c) => void (await page.goto(c.url, { waitUntil: "load" })),
  eval: async (c) => page.evaluate(`(${c.js})(${JSON.stringify(c.arg ?? null)})`),
  waitFor: async (c) =>
    void (await page.waitForFunction(`(${c.js})(${JSON.stringify(c.arg ?? null)})`, { timeout: c.timeout ?? 30000, polling: 100 })),
  type: async (c) => {
    await page.click(c.selector);
    await page.type(c.selector, c.text);
  },
  click: async (c) => void (await page.click(c.selector)),
  // A visible element whose text is exactly ``text``, clicked with the mouse as a person would.
  clickText: async (c) => {
    const handle = await page.waitForFunction(
      (tag, text) => [...document.querySelectorAll(tag)].find((e) => e.textContent.trim() === text && e.offsetParent !== null),
      { timeout: c.timeout ?? 30000, polling: 100 },
      c.tag,
      c.text,
    );
    await handle.asElement().click();
  },
  press: async (c) => void (await page.keyboard.press(c.key)),
  upload: async (c) => {
    const input = await page.$(c.selector);
    await input.uploadFile(...c.files);
  },
  screenshot: async (c) => void (await page.screenshot({ path: c.path, fullPage: true })),
  logs: async () => logs.splice(0),
  userAgent: async () => browser.userAgent(),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const command = JSON.parse(line);
  try {
    const value = await ops[command.op](command);
    process.stdout.write(JSON.stringify({ id: command.id, ok: true, value: value ?? null }) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ id: command.id, ok: false, error: String(error?.stack ?? error) }) + "\n");
  }
}
await browser.close();
