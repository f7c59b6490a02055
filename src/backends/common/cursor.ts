/** Opaque keyset cursors: base64url JSON of the sort key of the last item on a page. */
import { invalidParams } from "../../domain/errors.js";

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === "string" || typeof k === "number")) {
      return key;
    }
  } catch {
    // fall through
  }
  throw invalidParams("cursor is not one this server issued", "/cursor");
}

/**
 * The first `limit` of `sorted` — records already filtered, in page order, and past the request's
 * cursor — with the cursor of the next page (the last item's sort key), or null at the end.
 * Items are not copied: in-memory stores clone the page they hand out.
 */
export function firstPage<T>(sorted: readonly T[], limit: number, key: (item: T) => readonly (string | number)[]): { items: T[]; nextCursor: string | null } {
  const items = sorted.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: sorted.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}
