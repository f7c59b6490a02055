/** Human tables and --json output. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Longest a cell may be before it is cut with an ellipsis. */
  max?: number;
}

const cell = (v: unknown): string =>
  v === undefined || v === null ? "" : typeof v === "string" ? v.replace(/\s+/g, " ") : (JSON.stringify(v) ?? "");

export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const s = cell(c.value(r));
      return c.max !== undefined && s.length > c.max ? s.slice(0, c.max - 1) + "…" : s;
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (parts: string[]) => parts.map((p, i) => (i === parts.length - 1 ? p : p.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join("\n") + "\n";
}

export interface Output {
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Print `value` as JSON with --json, else the human rendering. */
export function emit(o: Output, value: unknown, human: () => string): void {
  o.out(o.json ? JSON.stringify(value, null, 2) + "\n" : human());
}
