/**
 * Terminal display width, counted per grapheme cluster (Intl.Segmenter): East Asian wide and
 * fullwidth characters and emoji take two columns, combining marks and zero-width characters none.
 * Cutting happens between graphemes only, so a cell never splits an emoji, a flag or a surrogate pair.
 */
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Wide (W) and Fullwidth (F) ranges of Unicode's East Asian Width table, merged where adjacent. */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a], [0x1f200, 0x1f251], [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

const isWide = (cp: number): boolean => {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid];
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
};

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const REGIONAL_INDICATOR = /^\p{Regional_Indicator}/u;

/** Columns one grapheme cluster takes. */
function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0) ?? 0;
  if (ZERO_WIDTH.test(g)) return 0;
  // A text-default pictograph followed by VS16 is drawn as a two-column emoji.
  if (isWide(cp) || g.includes("\ufe0f") || REGIONAL_INDICATOR.test(g)) return 2;
  return 1;
}

export function displayWidth(text: string): number {
  // Fast path: printable ASCII is one column per character.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let w = 0;
  for (const { segment } of segmenter.segment(text)) w += graphemeWidth(segment);
  return w;
}

/** `text` cut to at most `max` columns, ending in "…" when cut; whole graphemes only. */
export function truncateToWidth(text: string, max: number): string {
  if (displayWidth(text) <= max) return text;
  let out = "";
  let w = 0;
  for (const { segment } of segmenter.segment(text)) {
    const gw = graphemeWidth(segment);
    if (w + gw > max - 1) break;
    out += segment;
    w += gw;
  }
  return out + "…";
}
