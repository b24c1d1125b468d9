// My Ed25519 identity: made once with WebCrypto, kept in IndexedDB, exportable for backups.
import { fromBase64Url, toBase64Url } from "./encoding";

export interface Identity {
  /** Raw 32-byte public key, base64url: what friends pin. */
  publicKey: string;
  privateKey: CryptoKey;
}

/** The stored form: the private key as a JWK, so a backup can carry it to another browser. */
export interface StoredIdentity {
  publicKey: string;
  privateJwk: JsonWebKey;
}

const ED25519 = { name: "Ed25519" } as const;
const encoder = new TextEncoder();

export async function generateIdentity(): Promise<StoredIdentity> {
  const pair = (await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  const privateJwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey: toBase64Url(raw), privateJwk };
}

export async function loadIdentity(stored: StoredIdentity): Promise<Identity> {
  const privateKey = await crypto.subtle.importKey("jwk", stored.privateJwk, ED25519, false, ["sign"]);
  return { publicKey: stored.publicKey, privateKey };
}

export async function sign(identity: Identity, message: string): Promise<string> {
  return toBase64Url(await crypto.subtle.sign(ED25519, identity.privateKey, encoder.encode(message)));
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function importPublic(publicKey: string): Promise<CryptoKey> {
  let key = keyCache.get(publicKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", fromBase64Url(publicKey), ED25519, false, ["verify"]);
    if (keyCache.size > 1000) keyCache.clear();
    keyCache.set(publicKey, key);
  }
  return key;
}

/** True only for a well-formed key and a valid signature; never throws on bad input. */
export async function verify(publicKey: string, message: string, signature: string): Promise<boolean> {
  try {
    const sig = fromBase64Url(signature);
    if (sig.length !== 64 || fromBase64Url(publicKey).length !== 32) return false;
    return await crypto.subtle.verify(ED25519, await importPublic(publicKey), sig, encoder.encode(message));
  } catch {
    return false;
  }
}

/**
 * A number two friends can read to each other to check they pinned the right keys:
 * the same on both sides, whoever computes it.
 */
export async function safetyNumber(keyA: string, keyB: string): Promise<string> {
  const [first, second] = [keyA, keyB].sort();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${first}|${second}`)));
  const groups: string[] = [];
  for (let i = 0; i < 12; i++) {
    const n = ((digest[2 * i]! << 8) | digest[2 * i + 1]!) % 100000;
    groups.push(String(n).padStart(5, "0"));
  }
  return groups.join(" ");
}
