/**
 * Image input for face login: the device's or staff's image string (data URL or bare base64),
 * checked to be PNG or JPEG by its magic bytes and under the size limit, decoded to RGBA with
 * Bun.Image (native libjpeg-turbo / libspng; EXIF orientation applied; pixel count capped), and
 * a tiny PNG encoder for face thumbnails. No network, no disk.
 */
import { inflateSync, deflateSync } from "node:zlib";

/** Largest decoded image accepted (bytes of the PNG/JPEG file itself), documented in docs/face-login.md. */
export const FACE_IMAGE_MAX_BYTES = 4 * 1024 * 1024;
/** Largest pixel count accepted (a small file claiming a huge canvas is refused before decoding). */
export const FACE_IMAGE_MAX_PIXELS = 4096 * 4096;
/** Larger images are scaled down to this longest side before detection (the detector works at 512 px anyway). */
export const FACE_IMAGE_MAX_SIDE = 1280;

export type ImageRejection = "not_base64" | "too_large" | "not_png_or_jpeg";
export type ImageBytes = { ok: true; bytes: Uint8Array; format: "png" | "jpeg" } | { ok: false; reason: ImageRejection };

const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/i;

/** Data URL (`data:image/jpeg;base64,...`) or bare base64 → the image file's bytes, PNG or JPEG only. */
export function imageBytes(value: string): ImageBytes {
  let b64 = value.trim();
  const m = DATA_URL.exec(b64);
  if (m) {
    if (!/;base64/i.test(m[2] ?? "")) return { ok: false, reason: "not_base64" };
    b64 = b64.slice(m[0].length);
  }
  // A form-encoded body turns "+" into " "; line breaks are allowed in base64.
  b64 = b64.replace(/ /g, "+").replace(/[\r\n\t]+/g, "");
  // 4 MB of file is at most ~5.6 MB of base64: refuse before decoding a larger string.
  if (b64.length > Math.ceil(FACE_IMAGE_MAX_BYTES / 3) * 4 + 4) return { ok: false, reason: "too_large" };
  if (b64.length === 0 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) return { ok: false, reason: "not_base64" };
  const bytes = new Uint8Array(Buffer.from(b64.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
  if (bytes.length > FACE_IMAGE_MAX_BYTES) return { ok: false, reason: "too_large" };
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return { ok: true, bytes, format: "png" };
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { ok: true, bytes, format: "jpeg" };
  return { ok: false, reason: "not_png_or_jpeg" };
}

export interface Rgba {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major */
  data: Uint8Array;
}

/**
 * Decodes a PNG or JPEG to RGBA (scaled down to FACE_IMAGE_MAX_SIDE). Throws on a corrupt image.
 * Bun.Image has no raw output, so it re-encodes to an uncompressed PNG that readPng() unpacks.
 */
export async function decodeRgba(bytes: Uint8Array): Promise<Rgba> {
  const meta = await new Bun.Image(bytes, { maxPixels: FACE_IMAGE_MAX_PIXELS }).metadata();
  let img = new Bun.Image(bytes, { maxPixels: FACE_IMAGE_MAX_PIXELS });
  if (Math.max(meta.width, meta.height) > FACE_IMAGE_MAX_SIDE) {
    img = img.resize(FACE_IMAGE_MAX_SIDE, FACE_IMAGE_MAX_SIDE, { fit: "inside", filter: "bilinear" });
  }
  return readPng(await img.png({ compressionLevel: 0 }).bytes());
}

/** Unpacks an 8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA) to RGBA. */
export function readPng(png: Uint8Array): Rgba {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let off = 8;
  let width = 0, height = 0, colorType = -1;
  const idat: Uint8Array[] = [];
  while (off + 8 <= png.length) {
    const len = dv.getUint32(off);
    const type = String.fromCharCode(png[off + 4]!, png[off + 5]!, png[off + 6]!, png[off + 7]!);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = dv.getUint32(off + 8);
      height = dv.getUint32(off + 12);
      if (data[8] !== 8 || data[12] !== 0) throw new Error("unsupported PNG layout");
      colorType = data[9]!;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    off += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!channels || width === 0 || height === 0) throw new Error("unsupported PNG");
  if (channels === 4) {
    const direct = new Uint8Array(width * height * 4);
    if (unpackStored(idat, width * 4, height, direct)) return { width, height, data: direct };
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new Error("truncated PNG");
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    if (filter === 0 && channels === 4) {
      // what decodeRgba's uncompressed PNG holds: RGBA rows, no filter
      out.set(line, y * stride);
      prev.set(line);
      continue;
    }
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      let v = line[i]!;
      switch (filter) {
        case 0: break;
        case 1: v += a; break;
        case 2: v += b; break;
        case 3: v += (a + b) >> 1; break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error("bad PNG filter");
      }
      cur[i] = v & 0xff;
    }
    const o = y * width * 4;
    for (let x = 0; x < width; x++) {
      const s = x * channels, d = o + x * 4;
      if (channels >= 3) { out[d] = cur[s]!; out[d + 1] = cur[s + 1]!; out[d + 2] = cur[s + 2]!; out[d + 3] = channels === 4 ? cur[s + 3]! : 255; }
      else { out[d] = out[d + 1] = out[d + 2] = cur[s]!; out[d + 3] = channels === 2 ? cur[s + 1]! : 255; }
    }
    prev.set(cur);
  }
  return { width, height, data: out };
}

/**
 * The fast path for decodeRgba's own PNG (RGBA, deflate level 0, no row filter): the zlib stream
 * is stored blocks, so rows are copied straight from the IDAT chunks into `out`, without joining
 * the chunks or inflating into another 1.2 MB buffer. False (out partly written) when a block is
 * compressed, a row has a filter, or the stream ends early: the caller then inflates.
 */
function unpackStored(chunks: Uint8Array[], stride: number, height: number, out: Uint8Array): boolean {
  let k = 0, o = 0; // read position: chunk k, offset o
  const byte = (): number => {
    while (k < chunks.length && o >= chunks[k]!.length) (k++, (o = 0));
    return k < chunks.length ? chunks[k]![o++]! : -1;
  };
  if (byte() < 0 || byte() < 0) return false; // zlib header
  const rawLength = (stride + 1) * height;
  let pos = 0; // position in the unfiltered stream (a filter byte, then stride bytes, per row)
  while (pos < rawLength) {
    const header = byte();
    if (header < 0 || (header & 0b110) !== 0) return false; // not a stored block
    const b0 = byte(), b1 = byte(), b2 = byte(), b3 = byte();
    if (b3 < 0 || (b0 | (b1 << 8)) !== (~(b2 | (b3 << 8)) & 0xffff)) return false;
    let len = b0 | (b1 << 8);
    if ((header & 1) === 1 && pos + len < rawLength) return false; // last block too short
    while (len > 0 && pos < rawLength) {
      while (k < chunks.length && o >= chunks[k]!.length) (k++, (o = 0));
      if (k >= chunks.length) return false;
      const row = Math.floor(pos / (stride + 1));
      const col = pos - row * (stride + 1);
      if (col === 0) {
        if (chunks[k]![o++] !== 0) return false; // a filtered row
        pos++;
        len--;
        continue;
      }
      const n = Math.min(len, stride + 1 - col, chunks[k]!.length - o);
      out.set(chunks[k]!.subarray(o, o + n), row * stride + col - 1);
      o += n;
      pos += n;
      len -= n;
    }
    if (len > 0) return false; // more data than the image holds
  }
  return true;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Encodes RGBA as a PNG (filter 0, deflate at `level`; 0 = stored, for a PNG that is only handed to Bun.Image). */
export function writePng(img: Rgba, level = -1): Uint8Array {
  const { width, height, data } = img;
  const raw = new Uint8Array((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  const chunk = (type: string, body: Uint8Array) => {
    const out = new Uint8Array(12 + body.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, body.length);
    for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
    out.set(body, 8);
    dv.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", new Uint8Array(deflateSync(raw, { level }))), chunk("IEND", new Uint8Array(0))];
  return new Uint8Array(Buffer.concat(parts));
}

/** Copies a rectangle (clamped to the image) out of an RGBA image. */
export function crop(img: Rgba, x: number, y: number, w: number, h: number): Rgba {
  const x0 = Math.max(0, Math.floor(x)), y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(img.width, Math.ceil(x + w)), y1 = Math.min(img.height, Math.ceil(y + h));
  const width = Math.max(1, x1 - x0), height = Math.max(1, y1 - y0);
  const data = new Uint8Array(width * height * 4);
  for (let r = 0; r < height; r++) data.set(img.data.subarray(((y0 + r) * img.width + x0) * 4, ((y0 + r) * img.width + x0 + width) * 4), r * width * 4);
  return { width, height, data };
}
