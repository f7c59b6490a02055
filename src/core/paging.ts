/**
 * Keyset pagination (SPEC §2 "Lists"): opaque cursors are base64url JSON of the sort key of the last
 * item on a page; the next page is what sorts after it. Never an offset.
 */
import { invalidParams } from "../domain/errors.js";

export type SortKey = readonly (string | number)[];

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** The sort key in `cursor`; INVALID_PARAMS unless it has `arity` parts (of the given types, when given). */
export function decodeCursor(cursor: string, arity: number, types?: readonly ("string" | "number")[]): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(key) &&
      key.length === arity &&
      key.every((k, i) => (types ? typeof k === types[i] : typeof k === "string" || typeof k === "number")) &&
      key.every((k) => typeof k !== "number" || Number.isFinite(k))
    ) {
      return key as (string | number)[];
    }
  } catch {
    // fall through
  }
  throw invalidParams("cursor is not one this server issued", "/cursor");
}

/**
 * A page from `rows` — fetched in page order, past the request's cursor, at most `limit + 1` of
 * them: the first `limit`, and the cursor of the next page when there was one more.
 */
export function pageOf<T>(rows: readonly T[], limit: number, key: (item: T) => SortKey): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}

/** The legacy name of pageOf for stores that filter and sort in memory. */
export const firstPage = pageOf;
