/** Size limits on free-form values, checked once above every backend (SPEC §2: TOO_LARGE, never truncation). */
import { tooLarge } from "../domain/errors.js";

export function checkSize(what: string, value: unknown, limit: number): void {
  if (value === undefined) return;
  const size = Buffer.byteLength(JSON.stringify(value), "utf8");
  if (size > limit) throw tooLarge(what, size, limit);
}

export function checkEachSize(what: string, values: readonly unknown[], limit: number): void {
  values.forEach((v, i) => checkSize(`${what}[${i}]`, v, limit));
}
