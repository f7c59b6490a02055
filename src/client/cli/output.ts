/**
 * Human tables and --json output. Stored text is untrusted (agent and tool output): every control
 * character is shown escaped in human output, never written to the terminal as is. JSON output is
 * exact (JSON.stringify escapes control characters itself).
 */
import { displayWidth, truncateToWidth } from "./width.js";

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Widest (in terminal columns) a cell may be before it is cut with an ellipsis. */
  max?: number;
}

const NAMED: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r", "\x1b": "\\e" };

/**
 * C0 and C1 controls, DEL, and the bidirectional overrides/isolates that can make text read in
 * another order than it is stored ("Trojan Source").
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string): string => {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
};

/**
 * `text` safe to print: control characters as `\e`, `\x01`, `\u{202e}`, …. With `keepLines`,
 * newlines and tabs stay (for multi-line bodies such as plans and command output).
 */
export function escapeControls(text: string, keepLines = false): string {
  return text.replace(keepLines ? UNSAFE_KEEP_LINES : UNSAFE, escapeOne);
}

/** One table cell or field value on one line: strings escaped, other values as JSON. */
export const cell = (v: unknown): string =>
  v === undefined || v === null ? "" : escapeControls(typeof v === "string" ? v.replace(/[ \t\n\r]+/g, " ") : (JSON.stringify(v) ?? ""));

const padEnd = (s: string, width: number): string => s + " ".repeat(Math.max(0, width - displayWidth(s)));

export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => {
    const s = cell(c.value(r));
    return c.max !== undefined ? truncateToWidth(s, c.max) : s;
  }));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((r) => displayWidth(r[i]))));
  const line = (parts: string[]) => parts.map((p, i) => (i === parts.length - 1 ? p : padEnd(p, widths[i]))).join("  ").trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join("\n") + "\n";
}

/** `key  value` lines, keys padded to `keyWidth`, values escaped. */
export function formatFields(record: Record<string, unknown>, keyWidth = 15): string {
  return Object.entries(record).map(([k, v]) => `${k.padEnd(keyWidth)} ${cell(v)}`.trimEnd()).join("\n") + "\n";
}

/** The line under a page that has more: how to get the rest. */
export const moreLine = (nextCursor: string | null | undefined): string =>
  nextCursor ? `(more: --cursor ${nextCursor}, or --all)\n` : "";

export interface Output {
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Print `value` as JSON with --json, else the human rendering. */
export function emit(o: Output, value: unknown, human: () => string): void {
  o.out(o.json ? JSON.stringify(value, null, 2) + "\n" : human());
}
