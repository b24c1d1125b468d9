// Stands in for the "webrtc-adapter" package in the bundle (build.mjs aliases it here).
// PeerJS reads only adapter.browserDetails, to check that it runs in a browser it supports; the
// adapter's shims for old browsers would be a third of the first load, for browsers Peerwall does
// not target. The detection follows webrtc-adapter's own.

export interface BrowserDetails {
  browser: string | null;
  version: number | null;
}

export function detectBrowser(userAgent: string, hasWebkitGetUserMedia: boolean): BrowserDetails {
  const firefox = /Firefox\/(\d+)\./.exec(userAgent);
  if (firefox) return { browser: "firefox", version: Number(firefox[1]) };
  const chrome = /Chrom(e|ium)\/(\d+)\./.exec(userAgent);
  if (chrome) return { browser: "chrome", version: Number(chrome[2]) };
  const webkit = /AppleWebKit\/(\d+)\./.exec(userAgent);
  if (webkit && (hasWebkitGetUserMedia || /Version\/\d+/.test(userAgent))) return { browser: "safari", version: Number(webkit[1]) };
  return { browser: null, version: null };
}

const browserDetails =
  typeof navigator === "undefined"
    ? { browser: null, version: null }
    : detectBrowser(navigator.userAgent, "webkitGetUserMedia" in navigator);

export default { browserDetails };
