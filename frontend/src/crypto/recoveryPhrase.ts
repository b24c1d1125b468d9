// The identity key as words a person can write down: its 32-byte Ed25519 seed as a BIP-39
// phrase (24 words of the standard English list, the last carrying an 8-bit SHA-256 checksum),
// and back. A typo is named (which word is not on the list) or caught by the checksum, never
// turned into some other key. The phrase gives back the very key friends pinned, so none of
// them sees a key warning.
import { entropyToMnemonic, mnemonicToEntropy } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { fromBase64Url, toBase64Url } from "./encoding";
import type { StoredIdentity } from "./identity";

export const PHRASE_WORDS = 24;

/** Why a phrase was refused, for the views' words. */
export type PhraseProblem =
  | { code: "wrong-length"; count: number }
  | { code: "unknown-word"; word: string; position: number }
  | { code: "checksum" };

export class PhraseRefused extends Error {
  constructor(readonly problem: PhraseProblem) {
    super(`recovery phrase refused: ${problem.code}`);
    this.name = "PhraseRefused";
  }
}

// PKCS #8 for an Ed25519 private key is this fixed header followed by the 32-byte seed
// (RFC 8410): the one way WebCrypto takes a bare seed and works out its public key.
const PKCS8_HEADER = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const ED25519 = { name: "Ed25519" } as const;

/** The words of an identity's private key (its JWK ``d``). */
export function phraseOf(identity: StoredIdentity): string[] {
  const seed = fromBase64Url(identity.privateJwk.d ?? "");
  if (seed.length !== 32) throw new Error("This identity has no Ed25519 seed to write down.");
  return entropyToMnemonic(seed, wordlist).split(" ");
}

/** The words as typed: any case, any spacing or line breaks, numbered or not ("1. abandon"). */
export function wordsOf(typed: string): string[] {
  return typed
    .toLowerCase()
    .replace(/\b\d+[.)]?/g, " ")
    .split(/[^a-z]+/)
    .filter(Boolean);
}

/** The identity a phrase writes down; throws PhraseRefused naming what is wrong. */
export async function identityFromPhrase(typed: string): Promise<StoredIdentity> {
  const words = wordsOf(typed);
  const unknown = words.findIndex((w) => !wordlist.includes(w));
  if (unknown >= 0) throw new PhraseRefused({ code: "unknown-word", word: words[unknown]!, position: unknown + 1 });
  if (words.length !== PHRASE_WORDS) throw new PhraseRefused({ code: "wrong-length", count: words.length });
  let seed: Uint8Array;
  try {
    seed = mnemonicToEntropy(words.join(" "), wordlist);
  } catch {
    throw new PhraseRefused({ code: "checksum" });
  }
  const pkcs8 = new Uint8Array(PKCS8_HEADER.length + seed.length);
  pkcs8.set(PKCS8_HEADER);
  pkcs8.set(seed, PKCS8_HEADER.length);
  const key = await crypto.subtle.importKey("pkcs8", pkcs8, ED25519, true, ["sign"]);
  const privateJwk = await crypto.subtle.exportKey("jwk", key);
  if (!privateJwk.x) throw new Error("This browser could not work out the public key of the phrase.");
  return { publicKey: toBase64Url(fromBase64Url(privateJwk.x)), privateJwk };
}
