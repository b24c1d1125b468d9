import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fullTime, relativeTime } from "../src/ui/time";

const at = (y: number, m: number, d: number, h = 12, min = 0, s = 0) => new Date(y, m - 1, d, h, min, s).getTime();

describe("relativeTime", () => {
  const now = at(2025, 3, 14, 15, 30);

  it("says just now for the last minute, and for a clock slightly ahead", () => {
    expect(relativeTime(now, now)).toBe("just now");
    expect(relativeTime(now - 59_000, now)).toBe("just now");
    expect(relativeTime(now + 90_000, now)).toBe("just now");
  });

  it("counts minutes within the hour", () => {
    expect(relativeTime(now - 60_000, now)).toBe("1 min ago");
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(relativeTime(now - 59 * 60_000 - 59_000, now)).toBe("59 min ago");
  });

  it("counts hours on the same day", () => {
    expect(relativeTime(at(2025, 3, 14, 14, 30), now)).toBe("1 h ago");
    expect(relativeTime(at(2025, 3, 14, 0, 5), now)).toBe("15 h ago");
  });

  it("counts hours across midnight while it is recent", () => {
    expect(relativeTime(at(2025, 3, 13, 23, 0), at(2025, 3, 14, 1, 0))).toBe("2 h ago");
  });

  it("says yesterday for the day before", () => {
    expect(relativeTime(at(2025, 3, 13, 9, 0), now)).toBe("yesterday");
    expect(relativeTime(at(2025, 3, 13, 0, 1), at(2025, 3, 14, 8, 0))).toBe("yesterday");
  });

  it("counts days within the week", () => {
    expect(relativeTime(at(2025, 3, 12, 9, 0), now)).toBe("2 days ago");
    expect(relativeTime(at(2025, 3, 8, 9, 0), now)).toBe("6 days ago");
  });

  it("gives the date after a week, with the year only when it is another", () => {
    expect(relativeTime(at(2025, 3, 1, 9, 0), now, "en-GB")).toBe("1 Mar");
    expect(relativeTime(at(2024, 12, 25, 9, 0), now, "en-GB")).toBe("25 Dec 2024");
  });

  describe("in a time zone that changes its clocks", () => {
    // Clocks go forward on 30 March 2025 and back on 26 October there (Node reads TZ afresh).
    beforeAll(() => void vi.stubEnv("TZ", "Europe/Berlin"));
    afterAll(() => void vi.unstubAllEnvs());

    it("is right across a daylight-saving change (calendar days, not 24-hour blocks)", () => {
      // The zone really changes: noon to noon over the change is 47 and 49 hours.
      expect(at(2025, 3, 31, 12) - at(2025, 3, 29, 12)).toBe(47 * 3600_000);
      expect(at(2025, 10, 27, 12) - at(2025, 10, 25, 12)).toBe(49 * 3600_000);
      expect(relativeTime(at(2025, 3, 29, 12), at(2025, 3, 31, 12))).toBe("2 days ago");
      expect(relativeTime(at(2025, 10, 25, 12), at(2025, 10, 27, 12))).toBe("2 days ago");
      expect(relativeTime(at(2025, 3, 30, 12), at(2025, 3, 31, 1))).toBe("yesterday");
    });
  });
});

describe("fullTime", () => {
  it("names the day, the date and the time", () => {
    const text = fullTime(at(2025, 3, 14, 15, 30), "en-GB");
    expect(text).toContain("Friday");
    expect(text).toContain("14 March 2025");
    expect(text).toContain("15:30");
  });
});
