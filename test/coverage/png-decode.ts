/**
 * A PNG decoder for tests (8-bit RGB/RGBA, all five scanline filters), independent of the encoder,
 * so tests check what a viewer would see: size and colours.
 */
import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';

/** Decodes an 8-bit RGB/RGBA PNG (all five filter types): enough to check what the encoder wrote. */
export function decodePng(buf: Uint8Array): { width: number; height: number; channels: number; pixel(x: number, y: number): [number, number, number]; colours(): Set<string> } {
  const b = Buffer.from(buf);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 3;
  const idat: Buffer[] = [];
  for (;;) {
    const len = b.readUInt32BE(off);
    const type = b.toString('ascii', off + 4, off + 8);
    const data = b.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const up = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels] : 0;
      const p = a + up - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - up);
      const pc = Math.abs(p - c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      out[y * stride + i] = (x + [0, a, up, (a + up) >> 1, paeth][f]) & 0xff;
    }
  }
  return {
    width,
    height,
    channels,
    pixel: (x, y) => [out[y * stride + x * channels], out[y * stride + x * channels + 1], out[y * stride + x * channels + 2]],
    colours() {
      const s = new Set<string>();
      for (let i = 0; i < out.length; i += channels) s.add(`${out[i]},${out[i + 1]},${out[i + 2]}`);
      return s;
    },
  };
}

