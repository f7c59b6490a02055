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

/** `YYYY-MM-DD-HHMMSS` read as the host's local time (how infer stamped plan names), as ISO UTC. */
export function localStampToIso(stamp: string): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)-(\d\d)(\d\d)(\d\d)$/.exec(stamp);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
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
