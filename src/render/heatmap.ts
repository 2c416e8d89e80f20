/**
 * The overlay check's N×N matrix as a picture, for swarms whose text matrix
 * no longer fits a Slack message: one coloured cell per pair, node names
 * along both axes (when the cells are big enough to carry them), a legend.
 *
 * A palette PNG written with node:zlib and a 5×7 bitmap font: no image
 * library in the worker bundle (the whole file is a few KiB minified).
 */
import { deflateSync } from 'node:zlib';

/** What a cell says; the index is its palette entry. */
export const CELL = { self: 0, ok: 1, fail: 2, notInDns: 3, noReport: 4, notStarted: 5 } as const;
export type CellKind = (typeof CELL)[keyof typeof CELL];

const BACKGROUND = 6;
const INK = 7;
// self, ok, FAIL, not in DNS, no report, not started, background, ink (RGB)
const PALETTE = [
  [0xdd, 0xdd, 0xdd],
  [0x2e, 0xb6, 0x7d],
  [0xe0, 0x1e, 0x5a],
  [0xec, 0xb2, 0x2e],
  [0xa0, 0xa0, 0xa8],
  [0x4a, 0x4a, 0x52],
  [0xff, 0xff, 0xff],
  [0x1d, 0x1c, 0x1d],
] as const;

export const LEGEND: Array<[CellKind, string]> = [
  [CELL.ok, 'ok'],
  [CELL.fail, 'fail'],
  [CELL.notInDns, 'not in dns'],
  [CELL.noReport, 'no report'],
  [CELL.notStarted, 'not started'],
];

// ---- PNG -------------------------------------------------------------------

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

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An 8-bit palette PNG (colour type 3) of `pixels`, one palette index per pixel, row by row. */
export function encodePalettePng(width: number, height: number, palette: ReadonlyArray<readonly [number, number, number]>, pixels: Uint8Array): Buffer {
  if (pixels.length !== width * height) throw new Error(`expected ${width * height} pixels, got ${pixels.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 3, 0, 0, 0], 8); // bit depth, colour type, compression, filter, interlace
  // each row starts with its filter type (0: none)
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('PLTE', Uint8Array.from(palette.flat())),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

// ---- a 5×7 font: 7 rows of 5 bits per glyph, upper case ---------------------

const GLYPHS: Record<string, number[]> = {
  a: [14, 17, 17, 31, 17, 17, 17], b: [30, 17, 17, 30, 17, 17, 30], c: [14, 17, 16, 16, 16, 17, 14],
  d: [30, 17, 17, 17, 17, 17, 30], e: [31, 16, 16, 30, 16, 16, 31], f: [31, 16, 16, 30, 16, 16, 16],
  g: [14, 17, 16, 23, 17, 17, 15], h: [17, 17, 17, 31, 17, 17, 17], i: [14, 4, 4, 4, 4, 4, 14],
  j: [7, 2, 2, 2, 2, 18, 12], k: [17, 18, 20, 24, 20, 18, 17], l: [16, 16, 16, 16, 16, 16, 31],
  m: [17, 27, 21, 21, 17, 17, 17], n: [17, 17, 25, 21, 19, 17, 17], o: [14, 17, 17, 17, 17, 17, 14],
  p: [30, 17, 17, 30, 16, 16, 16], q: [14, 17, 17, 17, 21, 18, 13], r: [30, 17, 17, 30, 20, 18, 17],
  s: [15, 16, 16, 14, 1, 1, 30], t: [31, 4, 4, 4, 4, 4, 4], u: [17, 17, 17, 17, 17, 17, 14],
  v: [17, 17, 17, 17, 17, 10, 4], w: [17, 17, 17, 21, 21, 21, 10], x: [17, 17, 10, 4, 10, 17, 17],
  y: [17, 17, 17, 10, 4, 4, 4], z: [31, 1, 2, 4, 8, 16, 31],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14], '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8], '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  '-': [0, 0, 0, 31, 0, 0, 0], '.': [0, 0, 0, 0, 0, 12, 12], _: [0, 0, 0, 0, 0, 0, 31],
  ':': [0, 12, 12, 0, 12, 12, 0], '/': [0, 1, 2, 4, 8, 16, 0], '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8], ' ': [0, 0, 0, 0, 0, 0, 0], '?': [14, 17, 1, 2, 4, 0, 4],
};
const GLYPH_W = 5;
const GLYPH_H = 7;
/** a glyph and the gap after it */
const ADVANCE = GLYPH_W + 1;

class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(BACKGROUND);
  }

  rect(x: number, y: number, w: number, h: number, colour: number): void {
    for (let j = Math.max(0, y); j < Math.min(this.height, y + h); j++) this.pixels.fill(colour, j * this.width + Math.max(0, x), j * this.width + Math.min(this.width, x + w));
  }

  /** Text left to right from (x, y), or bottom to top from (x, y) when `vertical` (a column label). */
  text(s: string, x: number, y: number, vertical = false): void {
    [...s.toLowerCase()].forEach((ch, i) => {
      const rows = GLYPHS[ch] ?? GLYPHS['?']!;
      rows.forEach((bits, row) => {
        for (let col = 0; col < GLYPH_W; col++) {
          if (!(bits & (1 << (GLYPH_W - 1 - col)))) continue;
          // turned a quarter anticlockwise: the glyph's rows become columns, read upwards
          const px = vertical ? x + row : x + i * ADVANCE + col;
          const py = vertical ? y - i * ADVANCE - col : y + row;
          if (px >= 0 && py >= 0 && px < this.width && py < this.height) this.pixels[py * this.width + px] = INK;
        }
      });
    });
  }
}

export interface HeatmapInput {
  title: string;
  /** row and column names, in order */
  labels: string[];
  /** what the pair row → column says */
  cell: (from: number, to: number) => CellKind;
}

const MAX_LABEL = 16;
const PAD = 6;

/**
 * The matrix as a PNG: rows are the pinging node, columns the pinged one.
 * Cells shrink as the swarm grows (16 px down to 2 px, about 1,600 px
 * across at most); below 9 px the names are left out (the reply lists the
 * nodes involved as text).
 */
export function heatmapPng(input: HeatmapInput): Buffer {
  const n = input.labels.length;
  const size = Math.max(2, Math.min(16, Math.floor(1600 / Math.max(n, 1))));
  const labelled = size >= GLYPH_H + 2;
  const names = input.labels.map((l) => (l.length > MAX_LABEL ? `${l.slice(0, MAX_LABEL - 1)}.` : l));
  const labelSpace = labelled ? Math.max(...names.map((l) => l.length), 1) * ADVANCE + PAD : 0;
  const legendWidth = LEGEND.reduce((w, [, label]) => w + GLYPH_H + 4 + label.length * ADVANCE + 12, 0);
  const titleHeight = GLYPH_H + PAD * 2;
  const left = PAD + labelSpace;
  const top = titleHeight + labelSpace;
  const grid = n * size;
  const width = Math.max(left + grid + PAD, PAD * 2 + legendWidth, PAD * 2 + input.title.length * ADVANCE);
  const height = top + grid + PAD * 2 + GLYPH_H + PAD;
  const c = new Canvas(width, height);

  c.text(input.title, PAD, PAD);
  for (let from = 0; from < n; from++) {
    for (let to = 0; to < n; to++) {
      // a one-pixel gap between cells once they are big enough to show it
      const inner = size >= 6 ? size - 1 : size;
      c.rect(left + to * size, top + from * size, inner, inner, input.cell(from, to));
    }
  }
  if (labelled) {
    const centre = Math.floor((size - 1 - GLYPH_H) / 2);
    names.forEach((name, i) => {
      c.text(name, left - PAD - name.length * ADVANCE, top + i * size + centre);
      c.text(name, left + i * size + centre, top - PAD, true);
    });
  }
  let x = PAD;
  const y = top + grid + PAD * 2;
  for (const [kind, label] of LEGEND) {
    c.rect(x, y, GLYPH_H, GLYPH_H, kind);
    x += GLYPH_H + 4;
    c.text(label, x, y);
    x += label.length * ADVANCE + 12;
  }
  return encodePalettePng(width, height, PALETTE, c.pixels);
}
