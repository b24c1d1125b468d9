// Injected, after instrument.js, into every page of the photo benchmark's alice and bob contexts
// before the app's scripts (Playwright's add_init_script). It changes nothing the app does; it
// writes down, as epoch ms (performance.timeOrigin + performance.now()):
//
// - digests: every crypto.subtle.digest of 1 MB or more, as [called, resolved, bytes, returned]
//   (the receiver hashes a whole blob before it stores it; Chromium copies the input, and may
//   hash it, inside the call itself: "returned" is when the call gave back its promise);
// - puts: every IndexedDB put() of a record holding 1 MB or more of `bytes` (a blob record): when
//   put() was called, when it returned (the structured clone of the value happens inside it),
//   when the request succeeded and when its transaction completed (the record is committed);
// - with arm(hash, db): the click on a photo tile, the lightbox's first progress bar (and the first
//   one that knows the size), the full image shown, and when IndexedDB `db` holds the blob `hash`,
//   polled every 20 ms from this page; WebRTC's own count of bytes received on the page's data
//   channels alongside, every 100 ms (instrument.js's channelStats). shown() then waits for the
//   lightbox to show the full image (read back from the store, made an object URL).
(() => {
  if (window.__photoProbe) return;
  const now = () => performance.timeOrigin + performance.now();
  const BIG = 1_000_000;
  const digests = [];
  const puts = [];

  if (window.SubtleCrypto) {
    const digest = SubtleCrypto.prototype.digest;
    SubtleCrypto.prototype.digest = function (algorithm, data) {
      const bytes = data?.byteLength ?? 0;
      if (bytes < BIG) return digest.call(this, algorithm, data);
      const called = now();
      const result = digest.call(this, algorithm, data);
      const returned = now();
      return result.then((value) => {
        digests.push([called, now(), bytes, returned]);
        return value;
      });
    };
  }

  if (window.IDBObjectStore) {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value, ...rest) {
      const bytes = value?.bytes?.byteLength ?? 0;
      if (bytes < BIG) return put.call(this, value, ...rest);
      const record = { store: this.name, hash: value.hash, bytes, called: now() };
      const request = put.call(this, value, ...rest);
      record.returned = now();
      request.addEventListener("success", () => (record.succeeded = now()));
      this.transaction.addEventListener("complete", () => (record.committed = now()));
      puts.push(record);
      return request;
    };
  }

  const gets = [];
  if (window.IDBObjectStore) {
    const get = IDBObjectStore.prototype.get;
    IDBObjectStore.prototype.get = function (...args) {
      const called = now();
      const request = get.apply(this, args);
      request.addEventListener("success", () => {
        const bytes = request.result?.bytes?.byteLength ?? 0;
        if (bytes >= BIG) gets.push({ store: this.name, hash: request.result.hash, bytes, called, succeeded: now() });
      });
      return request;
    };
  }

  const openDb = (name) =>
    new Promise((resolve, reject) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  const hasKey = (db, key) =>
    new Promise((resolve, reject) => {
      const q = db.transaction("blobs", "readonly").objectStore("blobs").getKey(key);
      q.onsuccess = () => resolve(q.result !== undefined);
      q.onerror = () => reject(q.error);
    });

  let run = null;

  /**
   * Starts watching for one photo: resolves when the blob `hash` is in IndexedDB `db`. The click
   * may come once current().ready is true (the click listener and the poller are in place).
   */
  async function arm({ hash, db, timeoutMs }) {
    const marks = {};
    const mark = (name) => {
      if (!(name in marks)) marks[name] = now();
    };
    const channel = [];
    run = { marks, channel, ready: false };
    const onClick = (event) => {
      if (event.target instanceof Element && event.target.closest("button.photo-tile")) mark("click");
    };
    document.addEventListener("click", onClick, true);
    const look = () => {
      const box = document.querySelector("dialog.lightbox");
      if (!box) return;
      mark("lightboxOpen");
      const progress = box.querySelector("progress");
      if (progress) {
        mark("progressShown");
        if (progress.hasAttribute("max")) mark("progressWithSize");
      }
      if (box.querySelector("img.lightbox-img:not(.preview)")) mark("fullImageShown");
    };
    const observer = new MutationObserver(look);
    observer.observe(document, { subtree: true, childList: true, attributes: true });
    const open = await openDb(db);
    const deadline = performance.now() + timeoutMs;
    let polls = 0;
    run.ready = true;
    try {
      for (;;) {
        const [here] = await Promise.all([
          hasKey(open, hash),
          polls % 5 === 0 && window.__peerwallBench
            ? window.__peerwallBench.channelStats().then((s) => channel.push(s))
            : null,
        ]);
        polls++;
        if (here) {
          mark("stored");
          break;
        }
        if (performance.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (window.__peerwallBench) channel.push(await window.__peerwallBench.channelStats());
    } finally {
      document.removeEventListener("click", onClick, true);
      open.close();
    }
    run.observer = observer;
    return { marks, channel, polls, stored: "stored" in marks };
  }

  /** After arm(): waits (3 s at most) for the lightbox to show the full image, read back from the store. */
  async function shown() {
    const until = performance.now() + 3000;
    while (run && !("fullImageShown" in run.marks) && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    run?.observer?.disconnect();
    return run?.marks.fullImageShown ?? null;
  }

  window.__photoProbe = { digests, puts, gets, arm, shown, current: () => run };
})();
