// The one-time code that links a new browser to one of mine. It never travels: each side proves
// it knows the code (HMAC over both sides' nonces), and the identity key goes sealed under a key
// made from the code and the nonces, so whoever relays the link (the broker included) learns
// neither. 12 characters of a 32-letter alphabet: 60 bits, far beyond guessing in the minutes a
// code lives, with three tries.
import { fromBase64Url, toBase64Url } from "./encoding";

/** No 0/O, 1/I: a code is read aloud and typed from a screen. */
const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
export const CODE_LENGTH = 12;

const encoder = new TextEncoder();

export function newLinkCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_LENGTH));
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]!);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

/** The code as typed, in its one form; null when it cannot be a code (too short, a wrong letter). */
export function normalizeCode(typed: string): string | null {
  const plain = typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/I/g, "1");
  if (plain.length !== CODE_LENGTH || ![...plain].every((c) => ALPHABET.includes(c))) return null;
  return [0, 4, 8].map((i) => plain.slice(i, i + 4)).join("-");
}

async function hmacKey(code: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(`peerwall-link|${code}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** What ``role`` sends to prove it knows the code, bound to this link's two nonces. */
export async function codeProof(code: string, role: "new" | "old", newNonce: string, oldNonce: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(code), encoder.encode(`${role}|${newNonce}|${oldNonce}`));
  return toBase64Url(mac);
}

/** Compares two proofs without an early exit. */
export function sameProof(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

async function sealKey(code: string, newNonce: string, oldNonce: string): Promise<CryptoKey> {
  const material = await crypto.subtle.digest("SHA-256", encoder.encode(`peerwall-link-seal|${code}|${newNonce}|${oldNonce}`));
  return crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export interface Sealed {
  iv: string;
  box: string;
}

export async function seal(code: string, newNonce: string, oldNonce: string, value: unknown): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const box = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await sealKey(code, newNonce, oldNonce), encoder.encode(JSON.stringify(value)));
  return { iv: toBase64Url(iv), box: toBase64Url(box) };
}

/** The sealed value, or null when it was not sealed with this code and these nonces. */
export async function unseal(code: string, newNonce: string, oldNonce: string, sealed: Sealed): Promise<unknown> {
  try {
    const key = await sealKey(code, newNonce, oldNonce);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64Url(sealed.iv) }, key, fromBase64Url(sealed.box));
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}
