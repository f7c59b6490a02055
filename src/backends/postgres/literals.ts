/**
 * Statements with their parameters written in as literals, so that several can travel in one
 * simple-query message (a transaction's BEGIN with its first read; its writes with the COMMIT).
 *
 * Every value becomes a quoted literal of unknown type — what pg sends a parameter as — so the
 * server infers each one's type from its place exactly as it does for `$n`. Strings are E'…' with
 * quotes and backslashes doubled, which reads the same whatever `standard_conforming_strings` says.
 * A NUL cannot travel inside a query text (PostgreSQL could not store it in a text field either), so
 * it is refused here with the error the server's own refusal maps to.
 *
 * This relies on the connection's client_encoding being UTF8, which pg always sends last in the
 * startup packet (so no URL or role setting overrides it) and the daemon never changes: in an
 * encoding such as SJIS, where a multi-byte character can end in a backslash byte, doubling
 * backslashes is not enough.
 */
import { invalidParams } from "../../domain/errors.js";
import type { Param } from "../sql/db.js";

/** A statement split at its `?` placeholders (our statements never hold a literal question mark). */
const pieces = new Map<string, string[]>();

export function literal(v: Param | undefined): string {
  if (v === null || v === undefined) return "NULL"; // undefined: what pg sends for it
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`a SQL parameter is not a finite number: ${v}`);
    return `'${v}'`;
  }
  if (v.includes("\u0000")) throw invalidParams("a string holds a NUL character, which PostgreSQL cannot store in a text field");
  return `E'${v.replace(/['\\]/g, "$&$&")}'`;
}

/** `sql` with each `?` replaced by the next parameter as a literal. */
export function withLiterals(sql: string, params: readonly Param[] = []): string {
  if (params.length === 0 && !sql.includes("?")) return sql;
  let parts = pieces.get(sql);
  if (parts === undefined) {
    parts = sql.split("?");
    if (pieces.size < 1000) pieces.set(sql, parts);
  }
  if (parts.length - 1 !== params.length) throw new Error(`a SQL statement has ${parts.length - 1} placeholders and ${params.length} parameters`);
  let out = parts[0];
  for (let i = 0; i < params.length; i++) out += literal(params[i]) + parts[i + 1];
  return out;
}
