// Photos as they are posted: checked, turned upright, downscaled (long side at most 2048 px) and
// re-encoded, which also drops their metadata (camera, place), plus a small thumbnail.

export const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"] as const;
export type PhotoType = (typeof ACCEPTED_TYPES)[number];
/** Before downscaling: larger files are refused with a message rather than decoded. */
export const MAX_INPUT_BYTES = 25 * 1024 * 1024;
export const FULL_SIDE = 2048;
export const THUMB_SIDE = 400;

export interface Encoded {
  bytes: Uint8Array<ArrayBuffer>;
  mime: PhotoType;
  w: number;
  h: number;
}

export interface PreparedPhoto {
  full: Encoded;
  thumb: Encoded;
}

/** Why this file cannot be a photo, in words for the person, or null. */
export function photoProblem(file: { name: string; type: string; size: number }): string | null {
  if (!(ACCEPTED_TYPES as readonly string[]).includes(file.type))
    return `${file.name} is not a JPEG, PNG, WebP or GIF image.`;
  if (file.size > MAX_INPUT_BYTES)
    return `${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MB; photos can be at most ${MAX_INPUT_BYTES / 1024 / 1024} MB.`;
  return null;
}

/** The size of an image whose long side is at most ``side``, keeping its proportions. */
export function fitWithin(w: number, h: number, side: number): { w: number; h: number } {
  const scale = Math.min(1, side / Math.max(w, h));
  return { w: Math.max(1, Math.round(w * scale)), h: Math.max(1, Math.round(h * scale)) };
}

async function encode(bitmap: ImageBitmap, side: number, keepAlpha: boolean): Promise<Encoded> {
  const { w, h } = fitWithin(bitmap.width, bitmap.height, side);
  const canvas = new OffscreenCanvas(w, h);
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser cannot process images.");
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, w, h);
  // WebP keeps transparency and is small; a browser that cannot write it gives PNG back.
  const wanted = keepAlpha ? "image/webp" : "image/jpeg";
  const blob = await canvas.convertToBlob({ type: wanted, quality: 0.85 });
  const mime = (ACCEPTED_TYPES as readonly string[]).includes(blob.type) ? (blob.type as PhotoType) : "image/png";
  return { bytes: new Uint8Array(await blob.arrayBuffer()), mime, w, h };
}

export async function preparePhoto(file: File): Promise<PreparedPhoto> {
  const problem = photoProblem(file);
  if (problem) throw new Error(problem);
  let bitmap: ImageBitmap;
  try {
    // "from-image" applies the EXIF orientation, so phone photos stand the right way up.
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new Error(`${file.name} could not be read as an image.`);
  }
  try {
    const keepAlpha = file.type !== "image/jpeg";
    return { full: await encode(bitmap, FULL_SIDE, keepAlpha), thumb: await encode(bitmap, THUMB_SIDE, keepAlpha) };
  } finally {
    bitmap.close();
  }
}
