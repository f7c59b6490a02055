/**
 * Change-log cursors (SPEC §4). Backends issue one of two forms: a decimal integer ("42": memory,
 * jsonl, sqlite, postgres) or a Redis stream id ("<ms>-<seq>"). This is the one place that orders
 * them; everything that compares cursors calls compareCursors.
 *
 * A decimal cursor `n` orders as the stream id `n-0`, so the order is total even if the two forms
 * ever meet (they do not within one backend). Digits are compared as strings, never as numbers:
 * stream ids exceed 2^53.
 */

const CURSOR = /^(\d{1,20})(?:-(\d{1,20}))?$/;

/** The JSON Schema pattern for a cursor in method params. */
export const CURSOR_PATTERN = "^\\d{1,20}(-\\d{1,20})?$";

export const isCursor = (v: string): boolean => CURSOR.test(v);

const stripZeros = (digits: string): string => digits.replace(/^0+(?=\d)/, "");

function compareDigits(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Negative when `a` comes before `b`, positive after, 0 for the same position. Throws on a malformed cursor. */
export function compareCursors(a: string, b: string): number {
  const ma = CURSOR.exec(a);
  const mb = CURSOR.exec(b);
  if (!ma || !mb) throw new TypeError(`not a change cursor: ${JSON.stringify(ma ? b : a)}`);
  return compareDigits(ma[1], mb[1]) || compareDigits(ma[2] ?? "0", mb[2] ?? "0");
}

/** True when `a` is strictly after `b`; anything is after `undefined` (the start of the log). */
export const isAfter = (a: string, b: string | undefined): boolean => b === undefined || compareCursors(a, b) > 0;
