import { said } from "../src/ui/useCommand";
import { describe, expect, it } from "vitest";
import {
  freedWords,
  fullSizeWords,
  percent,
  photoAlt,
  photoName,
  sizeWords,
  capWords,
  spaceWords,
  storageWords,
  uploadLabel,
  uploadWords,
} from "../src/ui/words";

const MB = 1024 * 1024;

describe("sizeWords", () => {
  it("says megabytes with one decimal", () => {
    expect(sizeWords(12.3 * MB)).toBe("12.3 MB");
    expect(sizeWords(0.5 * MB)).toBe("0.5 MB");
  });
  it("says kilobytes below a tenth of a megabyte, and 0 MB for nothing", () => {
    expect(sizeWords(40 * 1024)).toBe("40 KB");
    expect(sizeWords(10)).toBe("1 KB");
    expect(sizeWords(0)).toBe("0 MB");
  });
});

describe("percent", () => {
  it("rounds down and stays within 0–100", () => {
    expect(percent(45, 100)).toBe(45);
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(5, 0)).toBe(0);
    expect(percent(200, 100)).toBe(100);
  });
});

describe("photo names", () => {
  it("names a photo by its place and author", () => {
    expect(photoAlt(0, 3, "bob")).toBe("Photo 1 of 3 by @bob");
    expect(photoAlt(0, 1, "bob")).toBe("Photo 1 of 1 by @bob");
    expect(photoName(1, 3)).toBe("Photo 2 of 3");
    expect(photoName(0, 1)).toBe("Photo");
  });
  it("says how far the full size has come", () => {
    expect(fullSizeWords(1.2 * MB, 3.4 * MB)).toBe("Loading full size… 1.2 of 3.4 MB");
    expect(fullSizeWords(0, 0)).toBe("Loading full size…");
  });
  it("says what is being sent to whom", () => {
    expect(uploadWords("bob", 0, 1, false, 40, 100)).toBe("Sending photo to @bob — 40%");
    expect(uploadWords("bob", 1, 3, false, 1, 2)).toBe("Sending photo 2 of 3 to @bob — 50%");
    expect(uploadLabel("bob", 0, 2, true)).toBe("Sending photo 1 of 2 (preview) to @bob");
  });
});

describe("storage", () => {
  it("says what photos take", () => {
    expect(storageWords({ mine: 12.3 * MB, cached: 45.6 * MB })).toBe(
      "Your photos: 12.3 MB · Friends' photos kept here: 45.6 MB",
    );
  });
  it("says what freeing did", () => {
    expect(freedWords(45.6 * MB)).toBe("Freed 45.6 MB. Friends' photos will be fetched again when you look at them.");
    expect(freedWords(0)).toBe("There was nothing to free: no friends' photos are kept here.");
  });
});

describe("space in words", () => {
  it("says sizes over a gigabyte in GB, and caps in round figures", () => {
    expect(sizeWords(1536 * MB)).toBe("1.5 GB");
    expect(capWords(250 * MB)).toBe("Up to 250 MB");
    expect(capWords(1000 * MB)).toBe("Up to 1 GB");
    expect(capWords(Infinity)).toBe("No limit");
  });

  it("says what is used and left, and does not trust the estimate once a write did not fit", () => {
    expect(spaceWords({ full: false, usage: 24 * MB, quota: 1048 * MB })).toBe(
      "Peerwall uses 24.0 MB of the 1.0 GB this browser allows it: 1.0 GB left.",
    );
    expect(spaceWords({ full: true, usage: 24 * MB, quota: 1048 * MB })).toContain("this device's disk has no room left");
    expect(spaceWords({ full: false, usage: null, quota: null })).toBe("This browser does not say how much room it gives Peerwall.");
  });

  it("names a full store instead of saying something went wrong, with what to do", () => {
    for (const error of [new DOMException("", "QuotaExceededError"), { name: "NS_ERROR_DOM_QUOTA_REACHED", message: "" }]) {
      const words = said(error);
      expect(words.fault).toBe("full");
      expect(words.text).toContain("no room left");
      expect(words.text).toContain("Settings");
    }
    expect(said(new Error("")).text).toBe("Something went wrong; please try again.");
    expect(said(new Error("That post was deleted.")).text).toBe("That post was deleted.");
  });
});
