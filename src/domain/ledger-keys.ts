/**
 * Pure functions every ledger implementation shares, so that keys, timestamps and days come out
 * the same on every backend and in importers.
 */
import { createHash } from "node:crypto";

/**
 * The ledger key: the first 16 hex digits of sha256 of `source|sessionId|messageId` (UTF-8), the
 * same key the relayburn ledger uses. The fields are joined as they are, without escaping, to stay
 * compatible: ("a|b", "c") and ("a", "b|c") share a key (see docs/decisions/ledger.md).
 */
export function idHash(source: string, sessionId: string, messageId: string): string {
  return createHash("sha256").update(`${source}|${sessionId}|${messageId}`, "utf8").digest("hex").slice(0, 16);
}

const ZONE_SUFFIX = /(?:Z|[+-]\d\d(?::?\d\d)?)$/i;
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * `2026-03-01T12:00:00.000Z` form, which sorts as text in time order; undefined if `value` is not
 * a time in years 0000–9999. A value without an offset is read as UTC, never as the daemon's local time.
 */
export function canonicalTimestamp(value: string): string | undefined {
  const ms = Date.parse(ZONE_SUFFIX.test(value) ? value : `${value}Z`);
  if (Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return CANONICAL.test(iso) ? iso : undefined;
}

/** The IANA name Intl resolves `zone` to ("utc" → "UTC"), or undefined for an unknown zone. */
export function canonicalTimeZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * The calendar day (YYYY-MM-DD) of canonical timestamp `ts` in `timeZone`. In UTC that is the
 * first 10 characters of ts, which SQL can compute as substr(ts, 1, 10) next to an index on ts.
 */
export function dayOf(ts: string, timeZone = "UTC"): string {
  return timeZone === "UTC" ? ts.slice(0, 10) : dayInZone(new Intl.DateTimeFormat("en-US", zoneDay(timeZone)), ts);
}

/**
 * dayOf for many timestamps in one zone. Every zone's offset has been a multiple of 15 minutes
 * since 1972, so a local midnight falls on a UTC quarter hour: all of one quarter hour shares a
 * day, and the function asks Intl once per quarter hour it meets.
 */
export function dayFunction(timeZone: string): (ts: string) => string {
  if (timeZone === "UTC") return (ts) => ts.slice(0, 10);
  const format = new Intl.DateTimeFormat("en-US", zoneDay(timeZone));
  const quarters = new Map<string, string>();
  return (ts) => {
    const quarter = ts.slice(0, 14) + Math.floor(Number(ts.slice(14, 16)) / 15);
    let day = quarters.get(quarter);
    if (day === undefined) {
      day = dayInZone(format, ts);
      quarters.set(quarter, day);
    }
    return day;
  };
}

const zoneDay = (timeZone: string): Intl.DateTimeFormatOptions => ({ timeZone, year: "numeric", month: "2-digit", day: "2-digit" });

function dayInZone(format: Intl.DateTimeFormat, ts: string): string {
  const parts = format.formatToParts(Date.parse(ts));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year").padStart(4, "0")}-${get("month")}-${get("day")}`;
}
