/**
 * Schedules (SPEC §3.3), pure: validation and occurrence arithmetic, no clock and no I/O.
 *
 * - `{ cron }` with 5 fields, 6 fields (seconds first) or a nickname is evaluated by croner in the
 *   job's IANA zone. DST follows croner's Vixie-cron model with `fixedTimeRule: "no-wildcard"`:
 *   a pattern without `*`/`?` or a step in its seconds, minutes and hours names wall-clock times;
 *   such a time inside a spring-forward gap runs at the first valid time after the gap, and one
 *   inside the autumn repeated hour runs once (its first pass). Patterns with a wildcard or step are
 *   intervals: they keep their real-time spacing, so they run on both passes of a repeated hour and
 *   never at times that do not exist. test/domain/schedule.test.ts pins both cases in
 *   Europe/London and America/New_York.
 * - `{ cron: "@every <duration>" }` is an interval in real time: occurrences are
 *   `anchor + k·interval` for k ≥ 0. Time zones and DST do not affect it.
 * - `{ at }` is one instant.
 */
import { Cron } from "croner";
import { invalidParams } from "./errors.js";

export type Schedule = { cron: string } | { at: string };

export const NICKNAMES: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const CRON_PATH = "/schedule/cron";
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MIN_EVERY_MS = 1000;

/** A schedule ready to evaluate. */
type Compiled =
  | { kind: "cron"; cron: Cron }
  | { kind: "every"; intervalMs: number }
  | { kind: "at"; at: number };

/** INVALID_PARAMS (at /timezone) unless `tz` is an IANA zone name this runtime knows. */
export function checkTimezone(tz: string, path = "/timezone"): void {
  // Intl also takes offsets such as "+05:00"; those are not zones and have no DST rules.
  const named = /^[A-Za-z]/.test(tz);
  if (named) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return;
    } catch {
      // fall through
    }
  }
  throw invalidParams(`${JSON.stringify(tz)} is not a known IANA time zone (e.g. "Europe/London", "UTC")`, path);
}

/**
 * The interval of an `@every` expression in ms, or undefined when `expr` is not one.
 * INVALID_PARAMS when it is one with a bad duration.
 */
export function everyInterval(expr: string): number | undefined {
  const m = /^@every(?:\s+(.*))?$/i.exec(expr.trim());
  if (!m) return undefined;
  const text = (m[1] ?? "").trim();
  const bad = (why: string) =>
    invalidParams(`@every needs a duration such as 90s, 5m or 1h30m (units d, h, m, s, ms); ${why}`, CRON_PATH);
  if (text === "") throw bad("none was given");
  if (!/^(?:\d+(?:\.\d+)?[a-zA-Z]+)+$/.test(text)) {
    throw bad(/^\d+(?:\.\d+)?$/.test(text) ? `${JSON.stringify(text)} has no unit` : `${JSON.stringify(text)} is not one`);
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)([a-zA-Z]+)/g)) {
    const ms = UNIT_MS[unit];
    if (ms === undefined) throw bad(`unknown unit ${JSON.stringify(unit)}`);
    total += Number(amount) * ms;
  }
  // decimal fractions such as 1.1s are not exact in binary: round away float noise only
  const ms = Math.round(total);
  if (Math.abs(total - ms) > 1e-6 || !Number.isSafeInteger(ms)) throw bad(`${JSON.stringify(text)} is not a whole number of milliseconds`);
  if (ms < MIN_EVERY_MS) throw bad(`${JSON.stringify(text)} is shorter than the minimum of 1s`);
  return ms;
}

function compileCron(expr: string, timezone: string): Compiled {
  const text = expr.trim();
  const intervalMs = everyInterval(text);
  if (intervalMs !== undefined) return { kind: "every", intervalMs };
  let pattern = text;
  if (text.startsWith("@")) {
    const expansion = NICKNAMES[text.toLowerCase()];
    if (expansion === undefined) {
      throw invalidParams(
        `unknown nickname ${JSON.stringify(text)}; use one of ${Object.keys(NICKNAMES).join(", ")} or "@every <duration>"`,
        CRON_PATH,
      );
    }
    pattern = expansion;
  } else {
    const fields = text === "" ? 0 : text.split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw invalidParams(
        `cron ${JSON.stringify(text)} has ${fields} field${fields === 1 ? "" : "s"}; it needs 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
        CRON_PATH,
      );
    }
  }
  try {
    const cron = new Cron(pattern, { timezone, mode: "5-or-6-parts", fixedTimeRule: "no-wildcard", paused: true });
    return { kind: "cron", cron };
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^Cron\w*:\s*/, "") : String(err);
    throw invalidParams(`cron ${JSON.stringify(text)} is not valid: ${why}`, CRON_PATH);
  }
}

function compile(schedule: Schedule, timezone: string): Compiled {
  checkTimezone(timezone);
  if ("at" in schedule) {
    const at = Date.parse(schedule.at);
    if (Number.isNaN(at)) throw invalidParams(`${JSON.stringify(schedule.at)} is not an ISO 8601 time`, "/schedule/at");
    return { kind: "at", at };
  }
  return compileCron(schedule.cron, timezone);
}

/**
 * Rejects, with INVALID_PARAMS naming the field, a schedule that is malformed, uses an unknown
 * zone, or can never fire (a cron such as "0 0 30 2 *"). `from` is where "never" is looked for.
 */
export function validateSchedule(schedule: Schedule, timezone: string, from: Date = new Date(0)): void {
  const c = compile(schedule, timezone);
  if (c.kind === "cron" && c.cron.nextRun(from) === null) {
    throw invalidParams(`cron ${JSON.stringify((schedule as { cron: string }).cron)} never matches a date`, CRON_PATH);
  }
}

/** True for `{ cron: "@every …" }`: the only schedules that use an anchor. */
export const isEvery = (schedule: Schedule): boolean => "cron" in schedule && /^@every\b/i.test(schedule.cron.trim());

/** The interval in ms of an `@every` schedule, else undefined. */
export const intervalOf = (schedule: Schedule): number | undefined =>
  "cron" in schedule ? everyInterval(schedule.cron) : undefined;

function next(c: Compiled, after: number, anchor: number): number | null {
  switch (c.kind) {
    case "at":
      return c.at > after ? c.at : null;
    case "every": {
      if (after < anchor) return anchor;
      return anchor + (Math.floor((after - anchor) / c.intervalMs) + 1) * c.intervalMs;
    }
    case "cron":
      return c.cron.nextRun(new Date(after))?.getTime() ?? null;
  }
}

/**
 * The first occurrence strictly after `after`, or null when there is none (a past `at`, a cron
 * that no longer matches). `anchor` is the first slot of an `@every` schedule (every occurrence
 * is anchor + k·interval, k ≥ 0); without one, slots align to the Unix epoch. Ignored otherwise.
 * INVALID_PARAMS for a schedule or zone that `validateSchedule` rejects.
 */
export function nextOccurrence(schedule: Schedule, timezone: string, after: Date, anchor?: Date): Date | null {
  const t = next(compile(schedule, timezone), after.getTime(), anchor?.getTime() ?? 0);
  return t === null ? null : new Date(t);
}

/**
 * Occurrences in (`after`, `until`], oldest first, at most `limit` (the scheduler's cap for
 * misfire "all"). Same arguments and errors as nextOccurrence.
 */
export function occurrencesBetween(
  schedule: Schedule,
  timezone: string,
  after: Date,
  until: Date,
  anchor?: Date,
  limit = 1000,
): Date[] {
  const c = compile(schedule, timezone);
  const a = anchor?.getTime() ?? 0;
  const out: Date[] = [];
  for (let t = next(c, after.getTime(), a); t !== null && t <= until.getTime() && out.length < limit; t = next(c, t, a)) {
    out.push(new Date(t));
  }
  return out;
}
