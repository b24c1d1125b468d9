import { describe, expect, it } from "vitest";
import { backoffMs, loadIceServers, peerOptions } from "../src/net/broker";

describe("backoffMs", () => {
  it("starts near a second and doubles up to thirty seconds", () => {
    const middle = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffMs(n, middle))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
  it("spreads reconnects by ±25% so a restarted server is not stampeded", () => {
    expect(backoffMs(2, () => 0)).toBe(3000);
    expect(backoffMs(2, () => 1)).toBe(5000);
  });
});

describe("peerOptions", () => {
  it("points PeerJS at this origin with path / and the given ICE servers", () => {
    const ice = [{ urls: "stun:stun.example.org" }];
    const http = peerOptions({ protocol: "http:", hostname: "127.0.0.1", port: "8000" } as Location, ice);
    expect(http).toEqual({ host: "127.0.0.1", port: 8000, path: "/", secure: false, config: { iceServers: ice } });
    const https = peerOptions({ protocol: "https:", hostname: "peerwall.example", port: "" } as Location, []);
    expect(https.port).toBe(443);
    expect(https.secure).toBe(true);
  });
});

describe("loadIceServers", () => {
  const respond = (status: number, body: unknown) =>
    (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;

  it("returns the server's iceServers", async () => {
    const servers = [{ urls: ["turn:t:3478"], username: "1:alice", credential: "c" }];
    expect(await loadIceServers(respond(200, { iceServers: servers }))).toEqual(servers);
  });
  it("treats a malformed answer as no servers", async () => {
    expect(await loadIceServers(respond(200, { iceServers: "nope" }))).toEqual([]);
  });
  it("fails with the HTTP status when logged out", async () => {
    await expect(loadIceServers(respond(401, { error: "Log in first." }))).rejects.toThrow("HTTP 401");
  });
});

describe("the webrtc-adapter stand-in", () => {
  it("names the browsers PeerJS supports as webrtc-adapter does", async () => {
    const { detectBrowser } = await import("../src/net/webrtcAdapterShim");
    expect(
      detectBrowser("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36", false),
    ).toEqual({ browser: "chrome", version: 156 });
    expect(detectBrowser("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", false)).toEqual({
      browser: "firefox",
      version: 128,
    });
    expect(
      detectBrowser("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", true),
    ).toEqual({ browser: "safari", version: 605 });
    expect(detectBrowser("curl/8.0", false)).toEqual({ browser: null, version: null });
  });
});
