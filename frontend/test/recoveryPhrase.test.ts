// The recovery phrase: the same key back, and typos named rather than turned into another key.
import { describe, expect, it } from "vitest";
import { generateIdentity, loadIdentity, sign, verify } from "../src/crypto/identity";
import { identityFromPhrase, PhraseRefused, phraseOf, wordsOf } from "../src/crypto/recoveryPhrase";

async function refusal(typed: string) {
  try {
    await identityFromPhrase(typed);
  } catch (e) {
    if (e instanceof PhraseRefused) return e.problem;
    throw e;
  }
  throw new Error("the phrase was accepted");
}

describe("the recovery phrase", () => {
  it("writes a key as 24 standard words and gives back the very same key", async () => {
    const stored = await generateIdentity();
    const words = phraseOf(stored);
    expect(words).toHaveLength(24);
    const back = await identityFromPhrase(words.join(" "));
    expect(back.publicKey).toBe(stored.publicKey);
    expect(back.privateJwk.d).toBe(stored.privateJwk.d);
    // It signs as the old key did: what friends pinned still verifies.
    const signature = await sign(await loadIdentity(back), "hello");
    expect(await verify(stored.publicKey, "hello", signature)).toBe(true);
  });

  it("reads the words however they were written down", async () => {
    const stored = await generateIdentity();
    const words = phraseOf(stored);
    const numbered = words.map((w, i) => `${i + 1}. ${w.toUpperCase()}`).join("\n");
    expect(wordsOf(numbered)).toEqual(words);
    expect((await identityFromPhrase(numbered)).publicKey).toBe(stored.publicKey);
  });

  it("names a word that is not on the list, and where it is", async () => {
    const words = phraseOf(await generateIdentity());
    words[4] = "pizzza";
    expect(await refusal(words.join(" "))).toEqual({ code: "unknown-word", word: "pizzza", position: 5 });
  });

  it("refuses a swapped or changed word by its checksum, and a short phrase by its length", async () => {
    const words = phraseOf(await generateIdentity());
    const swapped = [...words];
    // Two different words swapped: the checksum (8 bits) catches all but 1 in 256 such slips.
    const j = swapped.findIndex((w, i) => i > 0 && w !== swapped[0]);
    [swapped[0], swapped[j]] = [swapped[j]!, swapped[0]!];
    const changed = [...words];
    changed[23] = changed[23] === "zoo" ? "abandon" : "zoo";
    const problems = [await refusal(swapped.join(" ")), await refusal(changed.join(" "))];
    expect(problems.filter((p) => p.code === "checksum").length).toBeGreaterThanOrEqual(1);
    expect(await refusal(words.slice(0, 12).join(" "))).toEqual({ code: "wrong-length", count: 12 });
  });
});
