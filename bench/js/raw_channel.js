// The reference: raw RTCDataChannel throughput in this very browser, without Peerwall.
// Evaluated into a page (an expression), it defines window.__rawBench. Signaling is not trickled:
// each side waits until its host candidates are gathered (no STUN) and hands over the whole SDP.
(() => {
  const epoch = () => performance.timeOrigin + performance.now();

  const gathered = (pc) =>
    pc.iceGatheringState === "complete"
      ? Promise.resolve()
      : new Promise((resolve) => {
          pc.addEventListener("icegatheringstatechange", () => {
            if (pc.iceGatheringState === "complete") resolve();
          });
        });

  const opened = (channel) =>
    channel.readyState === "open"
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          channel.addEventListener("open", () => resolve(), { once: true });
          channel.addEventListener("error", (event) => reject(new Error(`channel error: ${event.error?.message}`)), {
            once: true,
          });
        });

  /**
   * Sends totalBytes in chunkBytes messages, waiting for "bufferedamountlow" above highWater. With
   * randomData, the messages are consecutive slices of totalBytes random bytes made beforehand
   * (untimed); without it, one random chunk is sent again and again.
   */
  async function sendAll(channel, { totalBytes, chunkBytes, lowThreshold, highWater, randomData = false }, prepared = null) {
    channel.bufferedAmountLowThreshold = lowThreshold;
    const chunk = new Uint8Array(chunkBytes);
    crypto.getRandomValues(chunk.subarray(0, Math.min(chunkBytes, 65536)));
    let data = null;
    if (randomData) data = prepared?.byteLength === totalBytes ? prepared : randomBytes(totalBytes);
    let waits = 0;
    const start = epoch();
    for (let sent = 0; sent < totalBytes; sent += chunkBytes) {
      if (channel.bufferedAmount > highWater) {
        waits++;
        await new Promise((resolve) => channel.addEventListener("bufferedamountlow", resolve, { once: true }));
      }
      const size = Math.min(chunkBytes, totalBytes - sent);
      if (data) channel.send(data.subarray(sent, sent + size));
      else channel.send(size === chunkBytes ? chunk.buffer : chunk.slice(0, size).buffer);
    }
    return { start, waits, sendLoopMs: epoch() - start };
  }

  function randomBytes(totalBytes) {
    const data = new Uint8Array(totalBytes);
    for (let i = 0; i < totalBytes; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(totalBytes, i + 65536)));
    return data;
  }

  /** Resolves with the epoch ms of the message that completed totalBytes. */
  function receiveAll(channel, totalBytes) {
    channel.binaryType = "arraybuffer";
    let received = 0;
    let messages = 0;
    return new Promise((resolve) => {
      channel.addEventListener("message", (event) => {
        received += event.data.byteLength ?? event.data.length;
        messages++;
        if (received >= totalBytes) resolve({ end: epoch(), received, messages });
      });
    });
  }

  const state = {};

  window.__rawBench = {
    /** Two peer connections in this page, connected to each other. */
    async onePage(options) {
      const a = new RTCPeerConnection({ iceServers: [] });
      const b = new RTCPeerConnection({ iceServers: [] });
      try {
        const connectStart = epoch();
        const channel = a.createDataChannel("raw-bench", { ordered: true });
        channel.binaryType = "arraybuffer";
        const remote = new Promise((resolve) => b.addEventListener("datachannel", (e) => resolve(e.channel), { once: true }));
        await a.setLocalDescription(await a.createOffer());
        await gathered(a);
        await b.setRemoteDescription(a.localDescription);
        await b.setLocalDescription(await b.createAnswer());
        await gathered(b);
        await a.setRemoteDescription(b.localDescription);
        const far = await remote;
        await Promise.all([opened(channel), opened(far)]);
        const connectMs = epoch() - connectStart;
        const done = receiveAll(far, options.totalBytes);
        const sent = await sendAll(channel, options);
        const got = await done;
        return {
          connectMs,
          ms: got.end - sent.start,
          bytes: got.received,
          messages: got.messages,
          waits: sent.waits,
          maxMessageSize: a.sctp?.maxMessageSize ?? null,
          pair: await selectedPair(a),
        };
      } finally {
        a.close();
        b.close();
      }
    },

    // Two pages (two browser contexts): the test carries the SDP between them.
    async offer() {
      state.pc?.close();
      const pc = (state.pc = new RTCPeerConnection({ iceServers: [] }));
      state.channel = pc.createDataChannel("raw-bench", { ordered: true });
      state.channel.binaryType = "arraybuffer";
      state.connectStart = epoch();
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      return pc.localDescription.toJSON();
    },
    async answer(offer, totalBytes) {
      state.pc?.close();
      const pc = (state.pc = new RTCPeerConnection({ iceServers: [] }));
      state.done = new Promise((resolve) =>
        pc.addEventListener("datachannel", (e) => {
          state.channel = e.channel;
          resolve(receiveAll(e.channel, totalBytes));
        }),
      );
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      return pc.localDescription.toJSON();
    },
    async accept(answer) {
      await state.pc.setRemoteDescription(answer);
      await opened(state.channel);
      return { connectMs: epoch() - state.connectStart, pair: await selectedPair(state.pc) };
    },
    /**
     * Makes the random bytes of the next send() now (with randomData), so that a benchmark can let
     * the page settle between making them and the clock's start.
     */
    prepare(options) {
      state.prepared = options.randomData ? randomBytes(options.totalBytes) : null;
      return state.prepared?.byteLength ?? 0;
    },
    async send(options) {
      const prepared = state.prepared;
      state.prepared = null;
      const sent = await sendAll(state.channel, options, prepared);
      return { ...sent, maxMessageSize: state.pc.sctp?.maxMessageSize ?? null };
    },
    async received() {
      return await state.done;
    },
    close() {
      state.pc?.close();
      state.pc = undefined;
    },

    /**
     * Ed25519 verifications per second with WebCrypto in this page (a secure context): awaited
     * one by one, as a catch-up verifies the events of a batch, and all at once.
     */
    async verify(n) {
      const alg = { name: "Ed25519" };
      const pair = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
      const key = await crypto.subtle.importKey("raw", await crypto.subtle.exportKey("raw", pair.publicKey), alg, false, [
        "verify",
      ]);
      const encoder = new TextEncoder();
      const text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore";
      const messages = Array.from({ length: n }, (_, i) =>
        encoder.encode(
          JSON.stringify({ author: "alice", body: { text: `bench post ${i} ${text}` }, id: `id${i}`.padEnd(22, "x"), kind: "post", ts: Date.now(), v: 1, wall: "alice" }),
        ),
      );
      const sigs = await Promise.all(messages.map((m) => crypto.subtle.sign(alg, pair.privateKey, m)));
      let t = performance.now();
      for (let i = 0; i < n; i++) if (!(await crypto.subtle.verify(alg, key, sigs[i], messages[i]))) throw new Error("bad signature");
      const oneByOneMs = performance.now() - t;
      t = performance.now();
      const ok = await Promise.all(messages.map((m, i) => crypto.subtle.verify(alg, key, sigs[i], m)));
      const allAtOnceMs = performance.now() - t;
      if (!ok.every(Boolean)) throw new Error("bad signature");
      return { n, oneByOneMs, allAtOnceMs, oneByOnePerS: (n / oneByOneMs) * 1000, allAtOncePerS: (n / allAtOnceMs) * 1000 };
    },
  };

  /** Which candidate pair carried the data: "host 10.213.0.1 ↔ host 10.213.0.1" or so. */
  async function selectedPair(pc) {
    try {
      const stats = await pc.getStats();
      let pair = null;
      stats.forEach((s) => {
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
      });
      if (!pair) return null;
      const local = stats.get(pair.localCandidateId);
      const remote = stats.get(pair.remoteCandidateId);
      return `${local?.candidateType} ${local?.address} ↔ ${remote?.candidateType} ${remote?.address} (${local?.protocol})`;
    } catch {
      return null;
    }
  }
})();
