/** Schedule arithmetic (SPEC §3.3), pure: fixed dates, no clock. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isAgentStateError } from "../../src/domain/errors.js";
import {
  checkTimezone, everyInterval, nextOccurrence, occurrencesBetween, validateSchedule, type Schedule,
} from "../../src/domain/schedule.js";

const LON = "Europe/London";
const NYC = "America/New_York";
const cron = (c: string): Schedule => ({ cron: c });
const next = (s: Schedule, tz: string, after: string, anchor?: string) =>
  nextOccurrence(s, tz, new Date(after), anchor === undefined ? undefined : new Date(anchor))?.toISOString() ?? null;
const between = (s: Schedule, tz: string, after: string, until: string, anchor?: string) =>
  occurrencesBetween(s, tz, new Date(after), new Date(until), anchor === undefined ? undefined : new Date(anchor)).map((d) => d.toISOString());

/** Asserts INVALID_PARAMS at `path` with a message matching `message`. */
function rejects(fn: () => unknown, path: string, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isAgentStateError(e), `expected an AgentStateError, got ${String(e)}`);
    assert.equal(e.code, "INVALID_PARAMS");
    assert.deepEqual((e.details?.issues as { path: string }[]).map((i) => i.path), [path]);
    assert.match(e.message, message);
    return true;
  });
}

describe("schedule: DST in Europe/London (2026: forward 29 Mar 01:00 GMT, back 25 Oct 02:00 BST)", () => {
  test("01:30 daily on the spring-forward day runs at 02:00 BST, the first valid time after the gap", () => {
    assert.deepEqual(between(cron("30 1 * * *"), LON, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z"), [
      "2026-03-29T01:00:00.000Z", // 02:00 BST
      "2026-03-30T00:30:00.000Z", // 01:30 BST
    ]);
  });

  test("01:30 daily on the autumn day runs once, on the first pass through the repeated hour", () => {
    assert.deepEqual(between(cron("30 1 * * *"), LON, "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"), [
      "2026-10-25T00:30:00.000Z", // 01:30 BST
      "2026-10-26T01:30:00.000Z", // 01:30 GMT, next day
    ]);
    // asked from inside the second pass, the repeated 01:30 is not offered again
    assert.equal(next(cron("30 1 * * *"), LON, "2026-10-25T01:10:00Z"), "2026-10-26T01:30:00.000Z");
  });

  test("a list of fixed times is fixed times too: 01:30 moves out of the gap, and runs once when repeated", () => {
    assert.deepEqual(between(cron("30 1,2 * * *"), LON, "2026-03-29T00:00:00Z", "2026-03-29T12:00:00Z"), [
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T01:30:00.000Z",
    ]);
    assert.deepEqual(between(cron("30 1,2 * * *"), LON, "2026-10-24T23:00:00Z", "2026-10-25T12:00:00Z"), [
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T02:30:00.000Z",
    ]);
  });

  test("interval patterns keep their real-time spacing through both DST changes", () => {
    assert.deepEqual(between(cron("*/30 * * * *"), LON, "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z"), [
      "2026-03-29T00:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T01:30:00.000Z",
      "2026-03-29T02:00:00.000Z",
    ]);
    assert.deepEqual(between(cron("*/30 * * * *"), LON, "2026-10-24T23:45:00Z", "2026-10-25T02:00:00Z"), [
      "2026-10-25T00:00:00.000Z", // 01:00 BST
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:00:00.000Z", // 01:00 GMT, the second pass
      "2026-10-25T01:30:00.000Z",
      "2026-10-25T02:00:00.000Z",
    ]);
  });
});

describe("schedule: DST in America/New_York (2026: forward 8 Mar 02:00 EST, back 1 Nov 02:00 EDT)", () => {
  test("02:30 daily on the spring-forward day runs at 03:00 EDT", () => {
    assert.deepEqual(between(cron("30 2 * * *"), NYC, "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z"), [
      "2026-03-08T07:00:00.000Z", // 03:00 EDT
      "2026-03-09T06:30:00.000Z", // 02:30 EDT
    ]);
  });

  test("two times inside the gap run once, at its end", () => {
    assert.deepEqual(between(cron("15,45 2 * * *"), NYC, "2026-03-08T06:00:00Z", "2026-03-08T12:00:00Z"), ["2026-03-08T07:00:00.000Z"]);
  });

  test("01:30 daily on the autumn day runs once (EDT)", () => {
    assert.deepEqual(between(cron("30 1 * * *"), NYC, "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z"), [
      "2026-11-01T05:30:00.000Z", // 01:30 EDT
      "2026-11-02T06:30:00.000Z", // 01:30 EST
    ]);
  });

  test("hourly runs on both passes of the repeated hour", () => {
    assert.deepEqual(between(cron("@hourly"), NYC, "2026-11-01T04:30:00Z", "2026-11-01T07:00:00Z"), [
      "2026-11-01T05:00:00.000Z", // 01:00 EDT
      "2026-11-01T06:00:00.000Z", // 01:00 EST
      "2026-11-01T07:00:00.000Z", // 02:00 EST
    ]);
  });
});

describe("schedule: expressions", () => {
  test("6 fields: seconds first", () => {
    assert.deepEqual(between(cron("15 */20 * * * *"), "UTC", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"), [
      "2026-01-01T00:00:15.000Z",
      "2026-01-01T00:20:15.000Z",
      "2026-01-01T00:40:15.000Z",
    ]);
  });

  test("5 fields read in the zone", () => {
    assert.equal(next(cron("0 9 * * 1-5"), "Asia/Tokyo", "2026-03-06T12:00:00Z"), "2026-03-09T00:00:00.000Z"); // Mon 09:00 JST
  });

  test("nicknames, case-insensitive", () => {
    const from = "2026-03-04T10:20:30Z"; // a Wednesday
    const cases: [string, string][] = [
      ["@yearly", "2027-01-01T00:00:00.000Z"],
      ["@annually", "2027-01-01T00:00:00.000Z"],
      ["@monthly", "2026-04-01T00:00:00.000Z"],
      ["@weekly", "2026-03-08T00:00:00.000Z"],
      ["@daily", "2026-03-05T00:00:00.000Z"],
      ["@midnight", "2026-03-05T00:00:00.000Z"],
      ["@hourly", "2026-03-04T11:00:00.000Z"],
      ["@DAILY", "2026-03-05T00:00:00.000Z"],
    ];
    for (const [nick, want] of cases) assert.equal(next(cron(nick), "UTC", from), want, nick);
  });

  test("@every durations", () => {
    assert.equal(everyInterval("@every 90s"), 90_000);
    assert.equal(everyInterval("@every 5m"), 300_000);
    assert.equal(everyInterval("@every 1h30m"), 5_400_000);
    assert.equal(everyInterval("@every 1.5h"), 5_400_000);
    assert.equal(everyInterval("@every 1d2h"), 93_600_000);
    assert.equal(everyInterval("@every 1500ms"), 1500);
    assert.equal(everyInterval("@every 1.1s"), 1100);
    assert.equal(everyInterval("0 * * * *"), undefined);
  });

  test("@every: anchor + k·interval, spacing kept whatever 'after' is, DST ignored", () => {
    const s = cron("@every 90m");
    const anchor = "2026-03-29T00:15:00.000Z";
    assert.equal(next(s, LON, "2026-03-28T00:00:00Z", anchor), anchor, "before the anchor: the anchor itself");
    assert.equal(next(s, LON, anchor, anchor), "2026-03-29T01:45:00.000Z");
    assert.equal(next(s, LON, "2026-03-29T01:44:59.999Z", anchor), "2026-03-29T01:45:00.000Z");
    // a late check-in (e.g. after a run) does not move the phase
    assert.equal(next(s, LON, "2026-03-29T05:00:00Z", anchor), "2026-03-29T06:15:00.000Z");
    assert.deepEqual(between(s, NYC, "2026-03-29T00:15:00Z", "2026-03-29T05:00:00Z", anchor), [
      "2026-03-29T01:45:00.000Z",
      "2026-03-29T03:15:00.000Z",
      "2026-03-29T04:45:00.000Z",
    ]);
    // without an anchor, slots align to the epoch
    assert.equal(next(cron("@every 5m"), "UTC", "2026-01-01T00:02:00Z"), "2026-01-01T00:05:00.000Z");
  });

  test("at: one instant, then nothing", () => {
    const s: Schedule = { at: "2026-05-01T08:00:00.000Z" };
    assert.equal(next(s, "UTC", "2026-04-30T00:00:00Z"), "2026-05-01T08:00:00.000Z");
    assert.equal(next(s, "UTC", "2026-05-01T08:00:00Z"), null);
    assert.deepEqual(between(s, "UTC", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"), ["2026-05-01T08:00:00.000Z"]);
    assert.deepEqual(between(s, "UTC", "2026-01-01T00:00:00Z", "2026-05-01T07:59:59Z"), []);
  });

  test("occurrencesBetween stops at the limit", () => {
    assert.equal(occurrencesBetween(cron("* * * * * *"), "UTC", new Date(0), new Date(86_400_000), undefined, 50).length, 50);
  });
});

describe("schedule: rejections say what is wrong", () => {
  const C = "/schedule/cron";
  test("bad cron fields", () => {
    rejects(() => validateSchedule(cron("61 * * * *"), "UTC"), C, /minute: 61/);
    rejects(() => validateSchedule(cron("* * *"), "UTC"), C, /has 3 fields; it needs 5 .* or 6/);
    rejects(() => validateSchedule(cron("* * * * * * *"), "UTC"), C, /has 7 fields/);
    rejects(() => validateSchedule(cron("0 25 * * *"), "UTC"), C, /hour: 25/);
    rejects(() => validateSchedule(cron("a b c d e"), "UTC"), C, /illegal characters/);
    rejects(() => validateSchedule(cron("0 0 30 2 *"), "UTC"), C, /never matches/);
    rejects(() => validateSchedule(cron("2030-01-01T00:00:00"), "UTC"), C, /has 1 field;/);
  });

  test("unknown nicknames", () => {
    rejects(() => validateSchedule(cron("@reboot"), "UTC"), C, /unknown nickname "@reboot"; use one of @yearly/);
    rejects(() => validateSchedule(cron("@everyday"), "UTC"), C, /unknown nickname/);
  });

  test("bad @every durations", () => {
    rejects(() => everyInterval("@every"), C, /none was given/);
    rejects(() => everyInterval("@every 5"), C, /"5" has no unit/);
    rejects(() => everyInterval("@every 5x"), C, /unknown unit "x"/);
    rejects(() => everyInterval("@every 0s"), C, /shorter than the minimum of 1s/);
    rejects(() => everyInterval("@every 500ms"), C, /shorter than the minimum/);
    rejects(() => everyInterval("@every 1h 30m"), C, /is not one/);
    rejects(() => everyInterval("@every 5 minutes"), C, /"5 minutes" is not one/);
    rejects(() => everyInterval("@every -5m"), C, /is not one/);
    rejects(() => everyInterval("@every 0.5ms"), C, /whole number of milliseconds/);
  });

  test("unknown time zones", () => {
    rejects(() => validateSchedule(cron("* * * * *"), "Mars/Olympus"), "/timezone", /"Mars\/Olympus" is not a known IANA time zone/);
    rejects(() => checkTimezone("+05:00"), "/timezone", /not a known IANA time zone/);
    rejects(() => validateSchedule({ at: "2026-01-01T00:00:00Z" }, "Nowhere/Land"), "/timezone", /Nowhere\/Land/);
    assert.doesNotThrow(() => checkTimezone("UTC"));
    assert.doesNotThrow(() => checkTimezone(LON));
  });
});
