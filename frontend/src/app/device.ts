// This browser as one of my devices: its id (the part after my handle in its peer id), made
// once and kept with my store, and a name from the browser that I can change in Settings.
import type { Repository } from "../store/repository";
import { isDevice } from "../sync/events";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export async function deviceIdOf(repo: Repository): Promise<string> {
  const known = await repo.meta<string>("device");
  if (isDevice(known)) return known;
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const id = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join("");
  await repo.saveMeta("device", id);
  return id;
}

/** "Firefox on Android", say: enough to tell my devices apart until I name them. */
export function defaultDeviceName(userAgent: string = navigator.userAgent): string {
  const browser = /Firefox\//.test(userAgent)
    ? "Firefox"
    : /Edg\//.test(userAgent)
      ? "Edge"
      : /Chrom(e|ium)\//.test(userAgent)
        ? "Chromium"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "A browser";
  const system = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : "";
  return system ? `${browser} on ${system}` : browser;
}
