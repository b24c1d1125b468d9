"""JavaScript for tests that speak Peerwall's peer protocol by hand, as a hostile friend would.

Spliced into the page scripts of those tests: base64url (``b64``) and canonical JSON
(``canonical``, keys sorted at every level), exactly as frontend/src/crypto/encoding.ts makes
them, so the scripts can sign proofs and events the app accepts.
"""

ENCODING_JS = """
  const b64 = (bytes) => {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let s = "";
    for (const b of view) s += String.fromCharCode(b);
    return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  };
  const canonical = (v) => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  };
"""
