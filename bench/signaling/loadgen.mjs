// The load generator of bench/signaling_bench.py: PeerJS-client-like WebSockets, driven by commands.
//
// Reads one JSON command a line on stdin, answers one JSON line on stdout ({"id", "ok", ...});
// lines with an "event" key are progress marks (the flood's start and end). Logs go to stderr.
// The sockets live in worker threads (--workers, 1 by default); the main thread only splits the
// commands and adds the answers up. Every command is bounded in time by its own arguments.
//
// What a peer sends is what the PeerJS 1.5.5 client sends: the URL
// ws://127.0.0.1:PORT/peerjs?key=peerjs&id=<handle>&token=<random>&version=1.5.5, an Origin header
// (browsers always send one), the session cookie, HEARTBEAT every 5 s from its OPEN, and data
// connection OFFERs shaped like negotiator.ts builds them. With --broker, each peer of a pair
// first sends Peerwall's WATCH frame for its partner (friends watch each other).
//
// The latency probe rides in payload.metadata (user-controlled in PeerJS): {"t": "<ns>", "seq": n,
// "step": k}, t being process.hrtime in ns, read back by the receiver in this same process.
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";

// --- a data connection offer, as Chrome makes it (with a few candidates: the frame is ~1.5 KB) ----

function fakeHex(bytes) {
  return randomBytes(bytes).toString("hex").toUpperCase().match(/../g).join(":");
}

function makeSdp(pad = 0) {
  const session = BigInt("0x" + randomBytes(8).toString("hex")) >> 1n;
  const lines = [
    "v=0",
    `o=- ${session} 2 IN IP4 127.0.0.1`,
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "c=IN IP4 0.0.0.0",
  ];
  // Text only (documentation addresses and mDNS names): nothing ever connects to them.
  const host = `${randomBytes(16).toString("hex").replace(/(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-")}.local`;
  lines.push(
    `a=candidate:1467250027 1 udp 2122260223 ${host} 54321 typ host generation 0 network-id 1`,
    `a=candidate:1467250028 1 udp 2122262783 ${host.replace(/^./, "b")} 54322 typ host generation 0 network-id 2`,
    `a=candidate:435653019 1 tcp 1518280447 ${host} 9 typ host tcptype active generation 0 network-id 1`,
    `a=candidate:435653020 1 tcp 1518282751 ${host.replace(/^./, "b")} 9 typ host tcptype active generation 0 network-id 2`,
    "a=candidate:842163049 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-id 1",
    "a=candidate:2157334355 1 udp 41885439 198.51.100.20 3478 typ relay raddr 203.0.113.7 rport 54321 generation 0 network-id 1",
    `a=ice-ufrag:${randomBytes(3).toString("base64url").slice(0, 4)}`,
    `a=ice-pwd:${randomBytes(18).toString("base64").slice(0, 24)}`,
    "a=ice-options:trickle",
    `a=fingerprint:sha-256 ${fakeHex(32)}`,
    "a=setup:actpass",
    "a=mid:0",
    "a=sctp-port:5000",
    "a=max-message-size:262144",
  );
  let sdp = lines.join("\r\n") + "\r\n";
  // The flood's big frames: more candidates, as a trickle-less offer of a many-homed host would have.
  let n = 0;
  while (sdp.length < pad) {
    sdp += `a=candidate:${3000000000 + n} 1 udp 2122194687 ${host.replace(/^../, (n++ % 1000).toString(36).padStart(2, "0"))} ${10000 + (n % 50000)} typ host generation 0 network-id ${n}\r\n`;
  }
  return sdp;
}

function token() {
  return Math.random().toString(36).slice(2); // PeerJS's randomToken()
}

const nowNs = () => {
  const [s, ns] = process.hrtime();
  return s * 1e9 + ns;
};
const nowMs = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- the main thread: commands in, answers out -------------------------------------------------

if (isMainThread) {
  const workers = [];
  let pending = new Map();
  let seq = 0;

  function toWorker(worker, message) {
    const id = ++seq;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  function merge(parts) {
    const out = {};
    for (const part of parts) {
      for (const [key, value] of Object.entries(part)) {
        if (value === undefined || value === null) continue;
        if (value instanceof Float64Array) {
          out[key] = out[key] ? concat(out[key], value) : value;
        } else if (typeof value === "number") {
          out[key] = key.startsWith("max") ? Math.max(out[key] ?? -Infinity, value) : (out[key] ?? 0) + value;
        } else if (typeof value === "object" && !Array.isArray(value)) {
          out[key] = merge([out[key] ?? {}, value]);
        } else if (out[key] === undefined) {
          out[key] = value;
        }
      }
    }
    return out;
  }

  function concat(a, b) {
    const c = new Float64Array(a.length + b.length);
    c.set(a);
    c.set(b, a.length);
    return c;
  }

  function percentiles(values) {
    const sorted = Float64Array.from(values).sort();
    const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null);
    const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null;
    return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1), mean };
  }

  function finish(result) {
    for (const [key, value] of Object.entries(result)) {
      if (value instanceof Float64Array) result[key] = percentiles(value);
    }
    return result;
  }

  // Splits one command into the workers' shares.
  function split(command) {
    const w = workers.length;
    const shares = Array.from({ length: w }, () => ({ ...command }));
    if (command.pairs) {
      shares.forEach((s) => (s.pairs = []));
      command.pairs.forEach((pair, i) => shares[i % w].pairs.push(pair));
    }
    if (command.users) {
      shares.forEach((s) => (s.users = []));
      command.users.forEach((u, i) => shares[i % w].users.push(u));
    }
    if (command.rate) shares.forEach((s) => (s.rate = command.rate / w));
    if (command.inflight) {
      shares.forEach((s, i) => (s.inflight = Math.floor(command.inflight / w) + (i < command.inflight % w ? 1 : 0)));
    }
    return shares;
  }

  async function handle(command) {
    if (command.cmd === "init") {
      const n = command.workers || 1;
      for (let i = 0; i < n; i++) {
        const worker = new Worker(new URL(import.meta.url), { workerData: { ...command, index: i, workers: n } });
        worker.on("message", (message) => {
          if (message.event) {
            process.stdout.write(JSON.stringify(message) + "\n");
            return;
          }
          const p = pending.get(message.id);
          pending.delete(message.id);
          if (message.error) p.reject(new Error(message.error));
          else p.resolve(message.result);
        });
        worker.on("error", (error) => {
          console.error("worker error", error);
          process.exit(3);
        });
        workers.push(worker);
      }
      return { workers: n, node: process.version, ws: command.wsVersion };
    }
    if (command.cmd === "quit") {
      setTimeout(() => process.exit(0), 50);
      return {};
    }
    if (command.cmd === "flood") return finish(await toWorker(workers[0], command));
    const started = nowMs();
    const parts = await Promise.all(split(command).map((share, i) => toWorker(workers[i], share)));
    const result = finish(merge(parts));
    result.wallMs = nowMs() - started;
    return result;
  }

  const rl = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  rl.on("line", (line) => {
    if (!line.trim()) return;
    const command = JSON.parse(line);
    queue = queue.then(async () => {
      const cpu0 = process.cpuUsage();
      let answer;
      try {
        answer = { id: command.id, ok: true, ...(await handle(command)) };
      } catch (error) {
        answer = { id: command.id, ok: false, error: String(error?.stack || error) };
      }
      const cpu = process.cpuUsage(cpu0);
      answer.generatorCpuS = (cpu.user + cpu.system) / 1e6;
      process.stdout.write(JSON.stringify(answer) + "\n");
    });
  });
  rl.on("close", () => setTimeout(() => process.exit(0), 100));
} else {
  runWorker();
}

// --- a worker: the sockets ----------------------------------------------------------------------

function runWorker() {
  const { users, broker, deflate } = workerData;
  const groups = new Map(); // name -> [peer]
  const SDP_JSON = JSON.stringify(makeSdp());
  const OPEN_TEXT = '{"type":"OPEN"}';
  const HEARTBEAT = '{"type":"HEARTBEAT"}';
  const MARK = Buffer.from('"metadata":{"t":"');

  // Per step: frames sent, received in time, latencies (ms), late arrivals.
  const steps = new Map();
  const stepOf = (k) => {
    let s = steps.get(k);
    if (!s) {
      s = { sent: 0, received: 0, late: 0, lat: new Float64Array(1024), deadline: Infinity, lastArrival: 0 };
      steps.set(k, s);
    }
    return s;
  };
  const other = {}; // frames that are not relayed OFFERs, by type
  let unparsed = 0;

  function open(u, port, { heartbeatMs = 5000, onMessage, timeoutMs = 30000 } = {}) {
    const [handle, cookie] = users[u];
    const url = `ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${handle}&token=${token()}&version=1.5.5`;
    const peer = { u, handle, port, ws: null, opened: false, closed: false, hb: null, t0: nowMs(), openMs: null };
    peer.done = new Promise((resolve) => {
      let settled = false;
      const settle = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(error);
      };
      const timer = setTimeout(() => {
        settle("timeout waiting for OPEN");
        peer.ws.terminate();
      }, timeoutMs);
      const ws = new WebSocket(url, {
        headers: { Origin: `http://127.0.0.1:${port}`, Cookie: `sessionid=${cookie}` },
        perMessageDeflate: deflate,
        handshakeTimeout: timeoutMs,
      });
      peer.ws = ws;
      ws.on("message", (data, isBinary) => {
        if (!peer.opened) {
          const text = data.toString();
          if (text === OPEN_TEXT || text.startsWith('{"type":"OPEN"')) {
            peer.opened = true;
            peer.openMs = nowMs() - peer.t0;
            if (heartbeatMs) peer.hb = setInterval(() => ws.readyState === 1 && ws.send(HEARTBEAT), heartbeatMs);
            settle(null);
          } else {
            let msg = text.slice(0, 120);
            try {
              const frame = JSON.parse(text);
              msg = `${frame.type}: ${frame.payload?.msg ?? ""}`.slice(0, 160);
            } catch {}
            settle(msg);
            ws.close();
          }
          return;
        }
        if (onMessage) onMessage(peer, data, isBinary);
        else received(peer, data);
      });
      ws.on("error", (error) => settle(`${error.code || error.message}`.slice(0, 120)));
      ws.on("close", (code, reason) => {
        peer.closed = true;
        peer.closeCode = code;
        peer.closeReason = reason.toString().slice(0, 160);
        peer.closedAt = nowMs();
        clearInterval(peer.hb);
        settle(`closed ${code} before OPEN`);
      });
    });
    return peer;
  }

  function countOther(data) {
    let type = "?";
    try {
      type = JSON.parse(data.toString()).type;
    } catch {}
    other[type] = (other[type] ?? 0) + 1;
    return type;
  }

  // The fast path reads t, seq and step without parsing the 1.5 KB frame.
  function readNumber(buf, i) {
    let n = 0;
    let c;
    while (i < buf.length && (c = buf[i]) >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      i++;
    }
    return [n, i];
  }

  function received(peer, data) {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    if (buf[9] !== 0x4f /* O of {"type":"OFFER" */ || !buf.subarray(0, 16).toString().startsWith('{"type":"OFFER"')) {
      countOther(buf);
      return;
    }
    const now = nowNs();
    let t;
    let step;
    let i = buf.indexOf(MARK);
    if (i >= 0) {
      [t, i] = readNumber(buf, i + MARK.length);
      // ","seq":N,"step":K
      i = buf.indexOf(',"step":', i);
      if (i >= 0) [step] = readNumber(buf, i + 8);
    }
    if (i < 0 || t === undefined || step === undefined) {
      unparsed++;
      try {
        const md = JSON.parse(buf.toString()).payload.metadata;
        t = Number(md.t);
        step = md.step;
      } catch {
        return;
      }
    }
    const s = stepOf(step);
    const arrival = nowMs();
    s.lastArrival = arrival;
    if (arrival > s.deadline) {
      s.late++;
      return;
    }
    if (s.received >= s.lat.length) {
      const bigger = new Float64Array(s.lat.length * 2);
      bigger.set(s.lat);
      s.lat = bigger;
    }
    s.lat[s.received++] = (now - t) / 1e6;
  }

  async function connect({ group, pairs, inflight = 100, timeoutMs = 60000, heartbeatMs = 5000 }) {
    const list = groups.get(group) ?? [];
    groups.set(group, list);
    const deadline = nowMs() + timeoutMs;
    const errors = {};
    let opened = 0;
    let failed = 0;
    const openMs = [];
    const jobs = [];
    for (const [a, ap, b, bp] of pairs) jobs.push([a, ap, b], [b, bp, a]);
    const made = [];
    let next = 0;
    async function lane() {
      while (next < jobs.length) {
        const [u, port, partner] = jobs[next++];
        const left = deadline - nowMs();
        if (left <= 0) {
          failed++;
          errors["not started: connect phase timed out"] = (errors["not started: connect phase timed out"] ?? 0) + 1;
          continue;
        }
        const peer = open(u, port, { heartbeatMs, timeoutMs: Math.min(left, 30000) });
        peer.partner = users[partner][0];
        peer.partnerU = partner;
        made.push(peer);
        const error = await peer.done;
        if (error) {
          failed++;
          errors[error] = (errors[error] ?? 0) + 1;
        } else {
          opened++;
          openMs.push(peer.openMs);
          if (broker) peer.ws.send(JSON.stringify({ type: "WATCH", payload: { handles: [peer.partner] } }));
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, inflight) }, lane));
    // Pairs of senders: peer 2k sends to peer 2k+1 (its partner), in the order they were asked for.
    for (const peer of made) list.push(peer);
    const first = made.find((p) => p.opened);
    return {
      opened,
      failed,
      errors,
      openMs: Float64Array.from(openMs),
      connected: list.filter((p) => p.opened && !p.closed).length,
      extensions: first ? first.ws.extensions || "none" : undefined,
    };
  }

  async function close({ group, timeoutMs = 15000 }) {
    const list = groups.get(group) ?? [];
    groups.delete(group);
    for (const peer of list) {
      clearInterval(peer.hb);
      if (!peer.closed) peer.ws.close();
    }
    const deadline = nowMs() + timeoutMs;
    while (list.some((p) => !p.closed) && nowMs() < deadline) await sleep(20);
    let terminated = 0;
    for (const peer of list) {
      if (!peer.closed) {
        peer.ws.terminate();
        terminated++;
      }
    }
    await sleep(terminated ? 200 : 0);
    return { closed: list.length, terminated };
  }

  async function relay({ group, rate, durationMs, drainMs = 2000, settleMs = 10000, step, tickMs = 1 }) {
    const list = (groups.get(group) ?? []).filter((p) => p.opened && !p.closed);
    // Senders: every peer whose partner is the next one in the list (the pair's first peer).
    const senders = [];
    const byU = new Map(list.map((p) => [p.u, p]));
    for (const p of list) {
      if (p.u < p.partnerU && byU.has(p.partnerU)) senders.push(p);
    }
    const s = stepOf(step);
    const closedByCode = {}; // peers of the group the server closed after their OPEN
    for (const p of groups.get(group) ?? []) {
      if (!p.opened || !p.closed) continue;
      const why = `${p.closeCode} ${p.closeReason}`.trim();
      closedByCode[why] = (closedByCode[why] ?? 0) + 1;
    }
    const result = { senders: senders.length, offered: rate, sent: 0, received: 0, late: 0, closedByCode };
    if (!senders.length || rate <= 0) return { ...result, error: "no pair left with both peers connected" };
    const prefixes = senders.map((p) => {
      const cid = `dc_${token().slice(0, 7)}`;
      return [
        `{"type":"OFFER","dst":"${p.partner}","payload":{"sdp":{"type":"offer","sdp":${SDP_JSON}},"type":"data","connectionId":"${cid}`,
        `","metadata":{"t":"`,
        `,"label":"${cid}`,
        `","reliable":false,"serialization":"binary"}}`,
      ];
    });
    const seqs = new Array(senders.length).fill(0);
    let rr = 0;
    let maxLagFrames = 0;
    const start = nowMs();
    const end = start + durationMs;
    await new Promise((resolve) => {
      function tick() {
        const now = nowMs();
        const due = Math.floor((Math.min(now, end) - start) * rate / 1000);
        maxLagFrames = Math.max(maxLagFrames, due - s.sent);
        while (s.sent < due) {
          const i = rr++ % senders.length;
          const p = senders[i];
          const n = seqs[i]++;
          const [a, b, c, d] = prefixes[i];
          const suffix = n.toString(36);
          const text = `${a}${suffix}${b}${nowNs()}","seq":${n},"step":${step}}${c}${suffix}${d}`;
          if (p.ws.readyState === 1) p.ws.send(text);
          else result.sentOnClosed = (result.sentOnClosed ?? 0) + 1;
          s.sent++;
        }
        if (now >= end) resolve();
        else setTimeout(tick, tickMs);
      }
      tick();
    });
    const sendEnd = nowMs();
    result.sent = s.sent;
    result.maxSendMs = sendEnd - start;
    result.maxLagFrames = maxLagFrames;
    result.maxBufferedBytes = senders.reduce((m, p) => Math.max(m, p.ws.bufferedAmount), 0);
    // Drain: frames count as delivered if they arrive by the end of the step plus drainMs.
    s.deadline = end + drainMs;
    while (s.received < s.sent && nowMs() < s.deadline) await sleep(5);
    result.received = s.received;
    result.maxDrainMs = Math.max(0, nowMs() - end);
    // Settle: wait for stragglers (counted late), so that the next step starts on a quiet server.
    const settleEnd = nowMs() + settleMs;
    while (s.received + s.late < s.sent && nowMs() < settleEnd && nowMs() - Math.max(s.lastArrival, sendEnd) < 1500) {
      await sleep(20);
    }
    result.late = s.late;
    result.lat = s.lat.slice(0, s.received);
    result.other = { ...other };
    result.unparsed = unparsed;
    for (const key of Object.keys(other)) delete other[key];
    unparsed = 0;
    result.closedSenders = senders.filter((p) => p.closed).length;
    steps.delete(step);
    return result;
  }

  async function churn({ users: pool, ports, inflight, durationMs, handshakeTimeoutMs = 10000 }) {
    const free = [...pool];
    const errors = {};
    const openMs = [];
    let started = 0;
    let completed = 0; // OPEN within the window
    let completedLate = 0;
    let failed = 0;
    let stalls = 0;
    let closing = 0;
    let portTurn = 0;
    const t0 = nowMs();
    const end = t0 + durationMs;
    const hardEnd = end + handshakeTimeoutMs + 5000;
    async function lane() {
      while (nowMs() < end) {
        if (!free.length) {
          stalls++;
          await sleep(2);
          continue;
        }
        const u = free.shift();
        const port = ports[portTurn++ % ports.length];
        started++;
        const peer = open(u, port, { heartbeatMs: 0, timeoutMs: handshakeTimeoutMs });
        closing++;
        peer.ws.once("close", () => {
          closing--;
          free.push(u);
        });
        const error = await peer.done;
        if (error) {
          failed++;
          errors[error] = (errors[error] ?? 0) + 1;
          if (!peer.closed) peer.ws.terminate();
        } else {
          if (nowMs() <= end) completed++;
          else completedLate++;
          openMs.push(peer.openMs);
          peer.ws.close();
        }
      }
    }
    await Promise.all(Array.from({ length: inflight }, lane));
    const windowMs = Math.max(durationMs, 1);
    while (closing > 0 && nowMs() < hardEnd) await sleep(10);
    return {
      started,
      completed,
      completedLate,
      failed,
      errors,
      poolStalls: stalls,
      stillClosing: closing,
      maxWindowMs: windowMs,
      openMs: Float64Array.from(openMs),
    };
  }

  async function flood({ group, sender, sport, receiver, rport, frameBytes, durationMs, afterMs, highWater = 1 << 20 }) {
    const list = groups.get(group) ?? [];
    groups.set(group, list);
    let rx = 0;
    let rxBytes = 0;
    const rxFrame = (peer, data) => {
      rx++;
      rxBytes += data.length;
    };
    const errorsToSender = {};
    const txFrame = (peer, data) => {
      const type = countOther(data);
      if (type === "ERROR") {
        let msg = "?";
        try {
          msg = JSON.parse(data.toString()).payload.msg.slice(0, 100);
        } catch {}
        errorsToSender[msg] = (errorsToSender[msg] ?? 0) + 1;
      }
    };
    const b = open(receiver, rport, { onMessage: rxFrame });
    b.partner = users[sender][0];
    const a = open(sender, sport, { onMessage: txFrame });
    a.partner = users[receiver][0];
    list.push(a, b);
    for (const [peer, error] of [[a, await a.done], [b, await b.done]]) {
      if (error) return { error: `flood peer ${peer.handle}: ${error}` };
      if (broker) peer.ws.send(JSON.stringify({ type: "WATCH", payload: { handles: [peer.partner] } }));
    }
    await sleep(300);
    // A valid OFFER whose SDP is padded with candidate lines up to frameBytes in all.
    const cid = `dc_${token().slice(0, 7)}`;
    const head = `{"type":"OFFER","dst":"${a.partner}","payload":{"sdp":{"type":"offer","sdp":`;
    const tail = `},"type":"data","connectionId":"${cid}","metadata":null,"label":"${cid}","reliable":false,"serialization":"binary"}}`;
    // JSON escapes each line's CRLF, so the padding is trimmed until the frame fits frameBytes.
    let pad = frameBytes - head.length - tail.length;
    let text;
    for (;;) {
      text = head + JSON.stringify(makeSdp(pad)) + tail;
      if (Buffer.byteLength(text) <= frameBytes || pad <= 0) break;
      pad -= Buffer.byteLength(text) - frameBytes + 20;
    }
    const frame = Buffer.from(text);
    let sent = 0;
    let maxBuffered = 0;
    parentPort.postMessage({ event: "flood-start", frameBytes: frame.length });
    const start = nowMs();
    const end = start + durationMs;
    await new Promise((resolve) => {
      function pump() {
        if (a.closed || nowMs() >= end) return resolve();
        // As fast as the server takes them: keep at most highWater bytes queued in this process.
        while (a.ws.bufferedAmount < highWater && !a.closed) {
          a.ws.send(frame, { binary: false });
          sent++;
        }
        maxBuffered = Math.max(maxBuffered, a.ws.bufferedAmount);
        setImmediate(pump);
      }
      pump();
    });
    const floodEnd = nowMs();
    const bufferedAtEnd = a.closed ? 0 : a.ws.bufferedAmount;
    parentPort.postMessage({ event: "flood-end" });
    const rxAtEnd = rx;
    await sleep(afterMs);
    return {
      frameBytes: frame.length,
      sent,
      sentMB: (sent * frame.length) / 1e6,
      floodMs: floodEnd - start,
      sendMBps: (sent * frame.length) / 1e6 / ((floodEnd - start) / 1000),
      maxBufferedBytes: maxBuffered,
      bufferedAtEnd,
      receivedByPartnerDuringFlood: rxAtEnd,
      receivedByPartner: rx,
      receivedMB: rxBytes / 1e6,
      senderClosedByServer: a.closed,
      senderCloseAfterMs: a.closed ? a.closedAt - start : null,
      senderCloseCode: a.closed ? a.closeCode : null,
      senderCloseReason: a.closed ? a.closeReason : null,
      receiverClosed: b.closed,
      errorsToSender,
      framesToSender: { ...other },
    };
  }

  const commands = { connect, close, relay, churn, flood };
  parentPort.on("message", async (message) => {
    try {
      const fn = commands[message.cmd];
      if (!fn) throw new Error(`unknown command ${message.cmd}`);
      const result = await fn(message);
      const transfer = Object.values(result).filter((v) => v instanceof Float64Array).map((v) => v.buffer);
      parentPort.postMessage({ id: message.id, result }, transfer);
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: String(error?.stack || error) });
    }
  });
}
