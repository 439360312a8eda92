/**
 * A minimal PNG encoder (8-bit truecolour, no alpha) over node:zlib: signature, IHDR, one IDAT
 * with every scanline using filter type 1 (Sub — flat colour runs become zeros, which deflate
 * well), IEND; CRC-32 from `zlib.crc32`. Enough for the coverage heatmap; no dependency.
 * Source: https://www.w3.org/TR/png-3/ (chunks §5, filters §7, IHDR §11.2.1).
 */
import { crc32, deflateSync } from 'node:zlib';
import type { Raster } from '../../domain/coverage/heatmap.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return out;
}

/**
 * Encodes an RGB raster (3 bytes per pixel) as PNG.
 * @throws RangeError when the buffer does not hold width × height × 3 bytes.
 */
export function encodePng(raster: Raster, options: { level?: number } = {}): Buffer {
  const { width, height, data } = raster;
  if (width <= 0 || height <= 0 || data.length !== width * height * 3) {
    throw new RangeError(`raster of ${width}×${height} needs ${width * height * 3} bytes, got ${data.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1);
    const src = y * stride;
    raw[row] = 1; // Sub
    for (let i = 0; i < stride; i++) raw[row + 1 + i] = (data[src + i] - (i >= 3 ? data[src + i - 3] : 0)) & 0xff;
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: options.level ?? 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
