// Injected into every page of the benchmark's alice and bob contexts before the app's scripts
// (Playwright's add_init_script). It changes nothing the app does; it only writes down:
//
// - wire: every data channel message sent and received, as [epoch ms, bytes, frame type],
//   so that a catch-up can be split into "on the wire" and "processed by the app";
// - marks: the first moment (epoch ms) something appears in the page: the app rendered, the
//   broker link online, a friend online / connected, a post containing a marker, a click on a
//   button; with config.wallPosts {owner, count, text}, the first moment the wall region of
//   @owner (a section named by its heading, as the UI contract has it) holds `count` articles
//   containing `text` ("wallPosts"), and the start of the next animation frame after it, the one
//   that paints them ("wallPostsFrame"). What to watch comes from watch(config), or from
//   localStorage "peerwall-bench-watch" when the page loads (so a reloaded or new page starts
//   watching before the app runs);
// - longTasks: main-thread tasks of 50 ms or more (PerformanceObserver "longtask").
//
// Epoch ms = performance.timeOrigin + performance.now(): comparable between pages of one machine.
(() => {
  if (window.__peerwallBench) return;
  const now = () => performance.timeOrigin + performance.now();
  const CAP = 50000;
  const wire = { sent: [], recv: [] };
  const sizeOf = (data) =>
    typeof data === "string" ? data.length : data?.byteLength ?? data?.size ?? 0;
  const kindOf = (data) => {
    if (typeof data !== "string") return "binary";
    const match = /^\{"t":"([a-z-]+)"/.exec(data.slice(0, 32));
    return match ? match[1] : "text";
  };
  const note = (list, data) => {
    if (list.length < CAP) list.push([now(), sizeOf(data), kindOf(data)]);
  };

  const connections = [];
  /**
   * [epoch ms, bytes, messages] received by this page's open data channels, as WebRTC's own
   * statistics count them: when they arrived, not when the page got round to dispatching them.
   */
  async function channelStats() {
    let bytes = 0;
    let messages = 0;
    let at = 0;
    for (const pc of connections) {
      if (pc.connectionState === "closed") continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== "data-channel") return;
        bytes += s.bytesReceived ?? 0;
        messages += s.messagesReceived ?? 0;
        at = Math.max(at, s.timestamp);
      });
    }
    // RTCStats timestamps were Unix epoch ms; newer browsers count from timeOrigin.
    if (at && at < 1e12) at += performance.timeOrigin;
    return [at || now(), bytes, messages];
  }

  if (window.RTCDataChannel && window.RTCPeerConnection) {
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (data) {
      note(wire.sent, data);
      return send.call(this, data);
    };
    const listen = (channel) => channel.addEventListener("message", (event) => note(wire.recv, event.data));
    const Original = window.RTCPeerConnection;
    const create = Original.prototype.createDataChannel;
    Original.prototype.createDataChannel = function (...args) {
      const channel = create.apply(this, args);
      listen(channel);
      return channel;
    };
    class InstrumentedPeerConnection extends Original {
      constructor(...args) {
        super(...args);
        connections.push(this);
        this.addEventListener("datachannel", (event) => listen(event.channel));
      }
    }
    window.RTCPeerConnection = InstrumentedPeerConnection;
  }

  const marks = {};
  const counts = {};
  let config = null;
  let observer = null;
  const mark = (name) => {
    if (!(name in marks)) marks[name] = now();
  };

  const check = () => {
    if (!config) return;
    if (document.querySelector("nav.pw-nav")) mark("appRendered");
    if (document.querySelector(".status.status-online")) mark("brokerOnline");
    if (config.friend) {
      const href = `#/wall/${encodeURIComponent(config.friend)}`;
      for (const link of document.querySelectorAll("li.friend a")) {
        if (link.getAttribute("href") !== href) continue;
        mark("friendListed");
        const presence = link.closest("li.friend").querySelector(".presence.is-online");
        if (presence) {
          mark("friendOnline");
          // "online, connecting…" as a title while the broker says online but the link is not up.
          if (!presence.getAttribute("title")) mark("friendConnected");
        }
      }
    }
    if (config.wallPosts && !("wallPosts" in marks)) {
      const { owner, count, text } = config.wallPosts;
      for (const region of document.querySelectorAll("section[aria-labelledby]")) {
        const heading = document.getElementById(region.getAttribute("aria-labelledby"));
        if (!heading || heading.textContent.trim() !== `@${owner}`) continue;
        let n = 0;
        for (const article of region.querySelectorAll("article")) if (!text || article.textContent.includes(text)) n++;
        counts.wallPosts = Math.max(counts.wallPosts ?? 0, n);
        if (n >= count) {
          mark("wallPosts");
          requestAnimationFrame(() => mark("wallPostsFrame"));
        }
      }
    }
    if (config.marker && !("post" in marks)) {
      for (const text of document.querySelectorAll("article .post-text")) {
        if (text.textContent.includes(config.marker)) {
          mark("post");
          break;
        }
      }
    }
  };

  const watch = (newConfig) => {
    config = newConfig;
    for (const key of Object.keys(marks)) if (!key.startsWith("click:")) delete marks[key];
    for (const key of Object.keys(counts)) delete counts[key];
    if (!observer) {
      observer = new MutationObserver(check);
      observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    }
    check();
  };

  // A click on a button, as the page dispatches it (not when the test asked for it).
  document.addEventListener(
    "click",
    (event) => {
      const button = event.target instanceof Element ? event.target.closest("button") : null;
      if (button) marks[`click:${button.textContent.trim()}`] = now();
    },
    true,
  );

  // Main-thread tasks of 50 ms or more, as [epoch ms, duration ms].
  const longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push([performance.timeOrigin + entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // no long task timing in this browser
  }

  window.__peerwallBench = {
    wire,
    longTasks,
    channelStats,
    marks,
    counts,
    watch,
    timeOrigin: performance.timeOrigin,
    resetWire() {
      wire.sent.length = 0;
      wire.recv.length = 0;
    },
  };

  try {
    const saved = JSON.parse(localStorage.getItem("peerwall-bench-watch") || "null");
    if (saved) watch(saved);
  } catch {
    // no localStorage on this page (about:blank): nothing to watch
  }
})();
