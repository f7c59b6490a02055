/** Size limits on free-form values, checked once above every backend (SPEC §2: TOO_LARGE, never truncation). */
import { tooLarge } from "../domain/errors.js";

export function checkSize(what: string, value: unknown, limit: number): void {
  if (value === undefined) return;
  // Most values are far below the limit: a cheap upper bound settles them without serialising.
  if (jsonBytesAtMost(value, limit) <= limit) return;
  const size = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (size > limit) throw tooLarge(what, size, limit);
}

export function checkEachSize(what: string, values: readonly unknown[], limit: number): void {
  values.forEach((v, i) => checkSize(`${what}[${i}]`, v, limit));
}

/** The longest a JSON number can print: -0.0000012345678901234567 (17 digits after 5 zeros). */
const MAX_NUMBER_CHARS = 25;
/** The most UTF-8 bytes one UTF-16 unit of a string can print as (\u001f, or a lone surrogate's \udxxx). */
const MAX_BYTES_PER_UNIT = 6;

/**
 * An upper bound on the UTF-8 size of JSON.stringify(value), computed without serialising, or
 * Infinity as soon as it passes `budget` (or for anything that is not plain JSON data, such as an
 * object with toJSON, which only the exact measure can size).
 */
export function jsonBytesAtMost(value: unknown, budget: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    switch (typeof v) {
      case "string":
        total += 2 + v.length * MAX_BYTES_PER_UNIT;
        break;
      case "number":
        total += MAX_NUMBER_CHARS;
        break;
      case "boolean":
        total += 5;
        break;
      case "undefined":
        total += 4; // "null" in arrays; omitted in objects
        break;
      case "object":
        if (v === null) {
          total += 4;
        } else if (Array.isArray(v)) {
          total += 2 + v.length; // brackets and commas
          for (const item of v as unknown[]) stack.push(item);
        } else {
          const proto = Object.getPrototypeOf(v) as unknown;
          if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === "function") return Infinity;
          total += 2;
          for (const key of Object.keys(v)) {
            total += 2 + key.length * MAX_BYTES_PER_UNIT + 2; // quoted key, colon, comma
            stack.push((v as Record<string, unknown>)[key]);
          }
        }
        break;
      default:
        return Infinity; // bigint, function, symbol: JSON.stringify decides
    }
    if (total > budget) return Infinity;
  }
  return total;
}
