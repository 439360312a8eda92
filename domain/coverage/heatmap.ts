/**
 * The digest picture as pixels: a heatmap of assets (rows) × the seven dimensions (columns), with
 * a title, column headers, a red bar on assets in critical namespaces and a legend — drawn into an
 * RGB raster with the built-in 5×7 font (no browser, no canvas). Encoding the raster as PNG is the
 * adapter's job (agent/coverage/png.ts). Pure.
 */
import { glyph, GLYPH_ADVANCE, GLYPH_H, GLYPH_W } from './font.ts';
import type { CellStatus } from './types.ts';

/** RGB colours of the picture; tests decode the PNG and look for these exact values. */
export const HEATMAP_COLORS = {
  green: [46, 160, 67],
  yellow: [230, 180, 40],
  red: [218, 54, 51],
  unknown: [150, 150, 150],
  background: [255, 255, 255],
  text: [36, 41, 47],
  muted: [110, 118, 129],
  critical: [218, 54, 51],
} as const satisfies Record<string, readonly [number, number, number]>;

/** One row: an asset label and its statuses in column order. */
export interface HeatmapRow {
  label: string;
  statuses: readonly CellStatus[];
  /** In a critical namespace: drawn with a red bar. */
  critical?: boolean;
}

/** What to draw. */
export interface HeatmapInput {
  title: string;
  /** Second line under the title (e.g. `top 40 of 812 assets, critical namespaces first`). */
  subtitle?: string;
  /** Column headers (short: 3 letters fit a cell). */
  columns: readonly string[];
  rows: readonly HeatmapRow[];
  /** Lines under the table (what the column abbreviations mean). */
  legend?: readonly string[];
}

/** Layout options (defaults suit a phone screen: text 2× the font size). */
export interface HeatmapOptions {
  /** Font scale, pixels per font pixel (default 2). */
  scale?: number;
  /** Cell size in pixels (default 44×20). */
  cellWidth?: number;
  cellHeight?: number;
  /** Longest label drawn, characters (default 30; longer ones end in `..`). */
  maxLabelChars?: number;
}

/** An RGB raster, 3 bytes per pixel, rows top to bottom. */
export interface Raster {
  width: number;
  height: number;
  data: Uint8Array;
}

type Rgb = readonly [number, number, number];

class Canvas implements Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.data = new Uint8Array(width * height * 3);
    const row = new Uint8Array(width * 3);
    for (let x = 0; x < width; x++) row.set(background, x * 3);
    for (let y = 0; y < height; y++) this.data.set(row, y * width * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, x);
    const y0 = Math.max(0, y);
    const x1 = Math.min(this.width, x + w);
    const y1 = Math.min(this.height, y + h);
    if (x1 <= x0 || y1 <= y0) return;
    const run = new Uint8Array((x1 - x0) * 3);
    for (let i = 0; i < x1 - x0; i++) run.set(c, i * 3);
    for (let yy = y0; yy < y1; yy++) this.data.set(run, (yy * this.width + x0) * 3);
  }

  text(x: number, y: number, s: string, c: Rgb, scale: number): void {
    let cx = x;
    for (const ch of s) {
      const rows = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) {
        const bits = rows[r];
        if (!bits) continue;
        for (let col = 0; col < GLYPH_W; col++) {
          if (bits & (1 << (GLYPH_W - 1 - col))) this.rect(cx + col * scale, y + r * scale, scale, scale, c);
        }
      }
      cx += GLYPH_ADVANCE * scale;
    }
  }
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 2))}..`;
}

/**
 * Draws the heatmap.
 * @returns the raster; its size follows from the rows, columns and longest label.
 */
export function renderHeatmap(input: HeatmapInput, options: HeatmapOptions = {}): Raster {
  const s = options.scale ?? 2;
  const cellW = options.cellWidth ?? 44;
  const cellH = options.cellHeight ?? 20;
  const gap = 4;
  const margin = 16;
  const charW = GLYPH_ADVANCE * s;
  const charH = GLYPH_H * s;
  const maxChars = options.maxLabelChars ?? 30;
  const labels = input.rows.map((r) => clip(r.label, maxChars));
  const labelChars = Math.max(8, ...labels.map((l) => l.length));
  const barW = 2 * s;
  const labelW = barW + 6 + labelChars * charW + 10;
  const tableW = labelW + input.columns.length * (cellW + gap);
  const legend = input.legend ?? [];
  const textW = (t: string) => t.length * charW;
  const width = margin * 2 + Math.max(tableW, textW(input.title), input.subtitle ? textW(input.subtitle) : 0, ...legend.map((l) => l.length * GLYPH_ADVANCE * s), 4 * (cellW + 70));
  const titleH = charH + 8 + (input.subtitle ? charH + 8 : 0);
  const headerH = charH + 8;
  const rowsH = Math.max(1, input.rows.length) * (cellH + gap);
  const keyH = cellH + 10;
  const legendH = legend.length * (charH + 6);
  const height = margin * 2 + titleH + headerH + rowsH + 10 + keyH + legendH;
  const c = new Canvas(width, height, HEATMAP_COLORS.background);

  let y = margin;
  c.text(margin, y, input.title, HEATMAP_COLORS.text, s);
  y += charH + 8;
  if (input.subtitle) {
    c.text(margin, y, input.subtitle, HEATMAP_COLORS.muted, s);
    y += charH + 8;
  }
  const x0 = margin + labelW;
  input.columns.forEach((col, i) => {
    const t = clip(col, Math.floor(cellW / charW) || 1);
    c.text(x0 + i * (cellW + gap) + Math.floor((cellW - t.length * charW + s) / 2), y, t, HEATMAP_COLORS.text, s);
  });
  y += headerH;
  if (input.rows.length === 0) c.text(margin, y + Math.floor((cellH - charH) / 2), 'NO ASSETS', HEATMAP_COLORS.muted, s);
  input.rows.forEach((row, r) => {
    const ry = y + r * (cellH + gap);
    if (row.critical) c.rect(margin, ry, barW, cellH, HEATMAP_COLORS.critical);
    c.text(margin + barW + 6, ry + Math.floor((cellH - charH) / 2), labels[r], HEATMAP_COLORS.text, s);
    row.statuses.forEach((st, i) => c.rect(x0 + i * (cellW + gap), ry, cellW, cellH, HEATMAP_COLORS[st]));
  });
  y += rowsH + 10;
  let kx = margin;
  for (const st of ['green', 'yellow', 'red', 'unknown'] as const) {
    c.rect(kx, y, cellH, cellH, HEATMAP_COLORS[st]);
    c.text(kx + cellH + 6, y + Math.floor((cellH - charH) / 2), st, HEATMAP_COLORS.text, s);
    kx += cellH + 6 + st.length * charW + 18;
  }
  y += keyH;
  for (const line of legend) {
    c.text(margin, y, line, HEATMAP_COLORS.muted, s);
    y += charH + 6;
  }
  return { width: c.width, height: c.height, data: c.data };
}
