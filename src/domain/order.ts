/**
 * The one string order of the product (SPEC §2 "One behaviour, every backend"): Unicode code point
 * order, which equals UTF-8 byte order — what SQLite's BINARY and Postgres' COLLATE "C" collations
 * and Redis' lexicographic sorted sets give. JavaScript's `<` compares UTF-16 code units and puts
 * U+1F98A before U+FF5E; this puts it after.
 */

/** UTF-16 code unit → a key that sorts like its code point (surrogates above U+E000–U+FFFF). */
const unitKey = (u: number): number => (u >= 0xd800 && u <= 0xdfff ? u + 0x2000 : u >= 0xe000 ? u - 0x800 : u);

/** Negative, 0 or positive as `a` sorts before, with or after `b` in code point order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    if (x !== b.charCodeAt(i)) return unitKey(x) - unitKey(b.charCodeAt(i));
  }
  return a.length - b.length;
}

/** Compares sort keys element by element: numbers numerically, strings in code point order. */
export function compareKeys(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    const c = typeof x === "number" && typeof y === "number" ? x - y : compareCodePoints(String(x), String(y));
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
