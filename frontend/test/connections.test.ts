// Dialing and staying connected, with the clock in the test's hand: glare, the grace period,
// the retry schedule, and stop() leaving no timer behind.
import { afterEach, describe, expect, it, vi } from "vitest";
import { generateIdentity, loadIdentity } from "../src/crypto/identity";
import { inlineDecoder } from "../src/sync/decode/decoder";
import { Diagnostics } from "../src/sync/diagnostics";
import { Connections, DIAL_GRACE_MS, RETRY_MS, type Want } from "../src/sync/peers/connections";
import { SimNetwork, type SimTransport } from "./sim";

async function node(net: SimNetwork, me: string, wants: Record<string, Want>) {
  const transport = net.transport(me);
  const proven: string[] = [];
  const connections = new Connections({
    me,
    device: "",
    isMyDevice: () => true,
    identity: await loadIdentity(await generateIdentity()),
    transport,
    now: Date.now,
    diagnostics: new Diagnostics(Date.now, () => {}),
    decoder: inlineDecoder,
    want: (h) => wants[h.toLowerCase()] ?? "never",
    isBlocked: () => false,
    on: {
      broker: () => {},
      proven: (s) => void proven.push(s.peer),
      link: () => {},
      frame: () => {},
      binary: () => {},
      drain: () => {},
      gone: () => {},
      changed: () => {},
    },
  });
  const dials: string[] = [];
  const dial = transport.dial.bind(transport);
  transport.dial = (h, d) => {
    dials.push(h);
    dial(h, d);
  };
  // Someone not online is looked for before a dial: a look counts as a try.
  const locate = transport.locate.bind(transport);
  transport.locate = (h) => {
    dials.push(`locate ${h}`);
    locate(h);
  };
  connections.start();
  return { connections, transport: transport as SimTransport, proven, dials };
}

afterEach(() => void vi.useRealTimers());

/** Timers are the test's; setImmediate stays real, so WebCrypto's answers can come in. */
const fakeTimers = () => vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });

/** Moves the fake clock on in small steps until ``done`` holds (real work, WebCrypto, finishes between). */
async function settleUntil(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !done(); i++) await settle(5);
  if (!done()) throw new Error(`never happened: ${what}`);
}

/** Moves the fake clock on by ``ms`` in small steps, letting real work (WebCrypto) finish between. */
async function settle(ms: number): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await vi.advanceTimersByTimeAsync(ms / 40);
    await new Promise((resolve) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(() => resolve(undefined)));
  }
}

describe("Connections", () => {
  it("when both dial at once, both keep the same link", async () => {
    fakeTimers();
    const net = new SimNetwork();
    const a = await node(net, "alice", { bob: "when-online" });
    const b = await node(net, "bob", { alice: "when-online" });
    a.transport.goOnline();
    b.transport.goOnline();
    a.connections.dial("bob");
    b.connections.dial("alice");
    await settleUntil(() => a.proven.length > 0 && b.proven.length > 0, "both sides proven");
    await settle(200);
    const kept = a.connections.session("bob")!.link as unknown as { partner: unknown };
    expect(b.connections.session("alice")!.link).toBe(kept.partner);
    expect(a.proven).toEqual(["bob"]);
    expect(b.proven).toEqual(["alice"]);
  });

  it("of two friends coming online, the smaller handle dials; the other waits out the grace", async () => {
    fakeTimers();
    const net = new SimNetwork();
    const a = await node(net, "alice", { zed: "when-online" });
    const z = await node(net, "zed", { alice: "when-online" });
    a.transport.watch(["zed"]);
    z.transport.watch(["alice"]);
    // zed cannot be reached by alice's dial (say it is lost): zed dials only after the grace.
    a.transport.dial = () => {};
    a.transport.goOnline();
    z.transport.goOnline();
    await settle(DIAL_GRACE_MS - 100);
    expect(z.dials).toEqual([]);
    await settle(200);
    expect(z.dials).toEqual(["alice"]);
  });

  it("someone I asked is polled on the backoff schedule while unavailable", async () => {
    fakeTimers();
    const net = new SimNetwork();
    const a = await node(net, "alice", { bob: "poll" });
    net.accounts.add("bob");
    a.transport.goOnline();
    a.connections.dial("bob");
    const times: number[] = [];
    const start = Date.now();
    const locate = a.transport.locate.bind(a.transport);
    a.transport.locate = (h) => {
      times.push(Date.now() - start);
      locate(h);
    };
    await settle(RETRY_MS.slice(0, 4).reduce((x, y) => x + y, 0) + 100);
    expect(times.length).toBe(4);
    const gaps = times.map((t, i) => t - (times[i - 1] ?? 0));
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(RETRY_MS[i]!));
  });

  it("stop() closes every link and leaves no timer running", async () => {
    fakeTimers();
    const net = new SimNetwork();
    const a = await node(net, "alice", { bob: "when-online", carol: "poll" });
    const b = await node(net, "bob", { alice: "when-online" });
    net.accounts.add("carol");
    a.transport.watch(["bob"]);
    b.transport.watch(["alice"]);
    a.transport.goOnline();
    b.transport.goOnline();
    a.connections.dial("carol");
    await settleUntil(() => a.connections.session("bob")?.proven === true, "alice and bob proven");
    a.connections.stop();
    b.connections.stop();
    await settle(50);
    expect(a.connections.session("bob")).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
