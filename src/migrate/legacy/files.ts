/** File helpers every legacy importer shares: listing, hashing, time parsing, the rename that marks a file done. */
import { createHash } from "node:crypto";
import { readdir, rename, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The `<UTC stamp>` of renamed files: `20260301T120000Z` (no colons, sorts as text). */
export const migrationStamp = (now: Date): string => now.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");

/** Matches a name this importer (or any run of it) already renamed, so it is never read again. */
export const MIGRATED = /\.migrated(-\d{8}T\d{6}Z(-\d+)?)?$/;

/**
 * Renames `path` to `<name>.migrated-<stamp>` (with `-2`, `-3`, … if taken) and returns the new
 * path. Called only after every record of the file is durably stored, so a crash before it just
 * means the next run finds the file again and imports nothing new.
 */
export async function markMigrated(path: string, stamp: string): Promise<string> {
  const base = `${path}.migrated-${stamp}`;
  for (let n = 1; ; n++) {
    const target = n === 1 ? base : `${base}-${n}`;
    if (!(await exists(target))) {
      await rename(path, target);
      return target;
    }
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Regular files in `dir` whose names pass `keep`, sorted by name; [] when `dir` is missing. */
export async function listFiles(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    if (MIGRATED.test(name) || !keep(name)) continue;
    try {
      if ((await stat(join(dir, name))).isFile()) out.push(join(dir, name));
    } catch {
      // vanished meanwhile
    }
  }
  return out;
}

/** Directories directly in `dir`, sorted by name; [] when `dir` is missing. */
export async function listDirs(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) if (!MIGRATED.test(name) && (await isDir(join(dir, name)))) out.push(join(dir, name));
  return out;
}

/** A short, stable key for content: the idempotency keys and ids of imported records derive from it. */
export const contentKey = (...parts: (string | Buffer)[]): string => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 32);
};

/**
 * An RFC 3339 time (any number of fraction digits, e.g. Go's nanoseconds) as ISO UTC with ms, or
 * undefined. A Go zero time (`0001-01-01T00:00:00Z`) counts as absent.
 */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const trimmed = value.trim().replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) return undefined;
  const d = new Date(ms);
  if (d.getUTCFullYear() <= 1) return undefined;
  return d.toISOString();
}

/**
 * `YYYY-MM-DD-HHMMSS` read as wall-clock time in `zone` (how infer stamped plan names: the host's
 * local time), as ISO UTC. In an autumn repeated hour the earlier instant is taken; a time inside
 * a spring-forward gap is read with the offset before the gap.
 */
export function zonedStampToIso(stamp: string, zone: string): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)-(\d\d)(\d\d)(\d\d)$/.exec(stamp);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  // Offsets an hour either side cover every DST change; the earliest instant that shows this wall time wins.
  const candidates = [-1, 0, 1]
    .map((k) => wall - offsetMs(wall + k * 3_600_000, zone))
    .filter((t) => wallClock(t, zone) === wall)
    .sort((a, b) => a - b);
  const t = candidates[0] ?? wall - offsetMs(wall - 86_400_000, zone);
  return new Date(t).toISOString();
}

const partsFormat = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time at instant `t` in `zone`, as if it were UTC (ms). */
function wallClock(t: number, zone: string): number {
  let f = partsFormat.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    partsFormat.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
}

const offsetMs = (t: number, zone: string): number => wallClock(t, zone) - Math.floor(t / 1000) * 1000;

/** One line of a JSON Lines file: its 1-based number and text (blank lines are left out). */
export interface NumberedLine {
  n: number;
  text: string;
}

/**
 * The complete lines of `text` (those ended by a newline), numbered from 1, blank ones left out;
 * and the text after the last newline (a line still being written, or a torn last write).
 */
export function splitLines(text: string): { lines: NumberedLine[]; tail: string } {
  const parts = text.split("\n");
  const tail = parts.pop() ?? "";
  const lines: NumberedLine[] = [];
  parts.forEach((raw, i) => {
    const t = raw.replace(/\r$/, "");
    if (t.trim() !== "") lines.push({ n: i + 1, text: t });
  });
  return { lines, tail };
}

/** Every line of a file the tool no longer writes: a last line without a newline counts too. */
export function allLines(text: string): NumberedLine[] {
  const { lines, tail } = splitLines(text);
  if (tail.trim() !== "") lines.push({ n: text.split("\n").length, text: tail });
  return lines;
}

/** Parses a line as a JSON object, or undefined. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** A file's last-modified time as ISO UTC (the fallback when a tool recorded no time). */
export async function mtimeOf(path: string): Promise<string> {
  return (await stat(path)).mtime.toISOString();
}

export const nameOf = (path: string): string => basename(path);
export const folderOf = (path: string): string => dirname(path);

export const errorText = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return err instanceof Error ? err.message : String(err);
};

/** Splits `items` into consecutive slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A plain JSON object, or undefined. */
export const asObject = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export const asString = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
