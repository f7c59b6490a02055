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
