/**
 * `--at` and `--anchor` times: a time with `Z` or an offset is that instant; a local time
 * (`2026-12-07T09:00`, or a bare date meaning its midnight) is read as wall-clock time in the job's
 * zone: `--tz`, else the configured default zone (AGENTSTATE_TIMEZONE, else the host's), the same
 * zone the daemon gives a job saved without one. Never in UTC by accident.
 */
import { UsageError } from "./context.js";

const LOCAL = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,3})\d*)?)?)?$/;
const HAS_ZONE = /(?:Z|[+-]\d\d:?\d\d)$/i;

/** The wall clock of `instant` in `zone`, as if it were UTC (ms). */
function wallMs(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) + (((instant % 1000) + 1000) % 1000);
}

/** ISO 8601 UTC for `text` (see the file comment). */
export function parseTimeIn(text: string, zone: string, flag: string): string {
  const m = LOCAL.exec(text.trim());
  if (!m) {
    const t = HAS_ZONE.test(text.trim()) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(t)) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a time: give 2026-05-01T09:00 (in --tz), 2026-05-01 (its midnight) or 2026-05-01T09:00:00Z`);
    return new Date(t).toISOString();
  }
  const [y, mo, d, h = "0", mi = "0", s = "0", ms = "0"] = m.slice(1).map((v) => v ?? undefined);
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, "0")));
  if (new Date(wall).getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a valid date and time`);
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new UsageError(`${JSON.stringify(zone)} is not a known IANA time zone (e.g. "Europe/London", "UTC")`);
  }
  // The zone's offsets half a day either side cover any transition at this wall time.
  const candidates = [wall - 12 * 3600_000, wall + 12 * 3600_000]
    .map((probe) => wall - (wallMs(probe, zone) - probe))
    .filter((t) => wallMs(t, zone) === wall)
    .sort((a, b) => a - b);
  if (candidates.length === 0) {
    throw new UsageError(`--${flag} ${text} does not exist in ${zone} (the clocks skip it that day); give a time outside the gap`);
  }
  // In a repeated hour the first of the two instants, as the scheduler does for cron times.
  return new Date(candidates[0]).toISOString();
}
