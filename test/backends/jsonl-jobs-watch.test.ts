/** Jobs as hand-editable YAML: edits, additions, deletions and broken files are noticed within 1 s. */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { promises as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { parseJobFile, serializeJob } from "../../src/backends/jsonl/job-file.js";
import type { Job } from "../../src/domain/jobs.js";
import { jobInput } from "../conformance/jobs.js";
import { TestClock } from "../helpers/clock.js";
import { FaultyDisk } from "../helpers/faulty-disk.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-jobs-watch-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface Opened {
  b: JsonlBackend;
  logged: string[];
  file(name: string): string;
  reopen(): Promise<JsonlBackend>;
}

async function open(t: TestContext): Promise<Opened> {
  const dir = join(root, `d${++n}`);
  const logged: string[] = [];
  const clock = new TestClock();
  const make = () => new JsonlBackend({ dataDir: dir, origin: "watch-test", now: clock.now, log: { warn: (m) => logged.push(m), info: () => {} } });
  let b = make();
  await b.open();
  t.after(() => b.close());
  return {
    get b() {
      return b;
    },
    logged,
    file: (name) => join(dir, "schedules", name),
    async reopen() {
      await b.close();
      b = make();
      await b.open();
      return b;
    },
  };
}

/** Polls `check` until it returns without throwing, or fails after `ms`. */
async function eventually<T>(check: () => Promise<T> | T, ms = 1000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const changes = async (b: JsonlBackend, after?: string): Promise<string[]> =>
  (await b.changes.since(after, 1000)).changes.filter((c) => c.domain === "jobs").map((c) => `${c.type} ${c.id} ${c.version}`);

test("job file format: the definition only, and it parses back to the same fields", () => {
  const job: Job = {
    id: " spaced ", name: "123", schedule: { cron: "*/5 * * * *" }, timezone: "UTC", enabled: true, deleteAfterRun: false,
    action: { type: "exec", argv: ["/bin/echo", "a: b"], env: { X: "1" } }, payload: { s: "null", n: null, t: "true", multi: "a\nb  \n", list: [1, "2", { k: "#" }] },
    misfire: "all", noOverlap: false, createdAt: "2026-03-01T12:00:00.000Z", updatedAt: "2026-03-01T12:00:00.000Z", version: 3,
    nextRunAt: "2026-03-01T12:05:00.000Z", lastRunAt: "2026-03-01T12:00:00.000Z", lastStatus: "failed", lastError: "x",
  };
  const text = serializeJob(job);
  assert.doesNotMatch(text, /nextRunAt|lastRunAt|lastStatus|lastError/);
  const definition: Partial<Job> = { ...job };
  for (const key of ["nextRunAt", "lastRunAt", "lastStatus", "lastError"] as const) delete definition[key];
  assert.deepEqual(parseJobFile(text), definition);
  assert.equal(serializeJob({ ...job, name: undefined, action: { type: "event" }, payload: {}, schedule: { cron: "0 9 * * *" } }).split("\n").slice(0, 3).join("\n"), 'id: " spaced "\nschedule:\n  cron: 0 9 * * *');
  assert.deepEqual(parseJobFile("schedule: '@every 5m'\n").schedule, { cron: "@every 5m" }, "a bare string is a cron");
});

test("jobs watch: a hand edit of the cron shows within 1 s with a new nextRunAt and job.saved; the file stays as written", async (t) => {
  const o = await open(t);
  const v1 = await o.b.jobs.saveJob(jobInput("j1", { name: "morning" }));
  assert.equal(v1.nextRunAt, "2026-03-02T09:00:00.000Z");
  await o.b.jobs.triggerJob("j1", "r1");
  await o.b.engine.applyNow(); // files follow the journal lazily (docs/architecture.md); the test edits them now
  const head = await o.b.changes.head();
  const path = o.file("j1.yaml");
  const edited = (await fs.readFile(path, "utf8")).replace("cron: 0 9 * * *", "cron: 30 18 * * *").replace("name: morning", "name: evening");
  await fs.writeFile(path, edited);
  const j = await eventually(async () => {
    assert.deepEqual(await changes(o.b, head), ["job.saved j1 2"]);
    return o.b.jobs.getJob("j1");
  });
  assert.deepEqual([j.schedule, j.name, j.nextRunAt, j.version, j.createdAt, j.lastStatus], [{ cron: "30 18 * * *" }, "evening", "2026-03-01T18:30:00.000Z", 2, v1.createdAt, "pending"]);
  assert.equal(await fs.readFile(path, "utf8"), edited);
  assert.equal((await o.b.jobs.getRun("r1")).status, "pending", "runs are untouched by an edit");
  // the edit's version survives a restart, which records nothing new; a store save with expectedVersion then works
  const after = await o.b.changes.head();
  const b2 = await o.reopen();
  assert.deepEqual(await b2.jobs.getJob("j1"), j);
  assert.deepEqual(await changes(b2, after), []);
  assert.equal((await b2.jobs.saveJob(jobInput("j1", { expectedVersion: 2 }))).version, 3);
});

test("jobs watch: a file added by hand becomes a job with jobs.save's defaults; a deleted one is NOT_FOUND with job.deleted", async (t) => {
  const o = await open(t);
  await o.b.jobs.saveJob(jobInput("doomed"));
  await o.b.jobs.triggerJob("doomed", "rd");
  await o.b.engine.applyNow(); // files follow the journal lazily (docs/architecture.md); the test edits them now
  const head = await o.b.changes.head();
  await fs.writeFile(o.file("hand-made.yaml"), "schedule: '*/5 * * * *'\ntimezone: UTC\npayload:\n  prompt: hi\n");
  await fs.writeFile(o.file("telegram_3A123.yaml"), 'id: "telegram:123"\nschedule:\n  at: 2026-03-05T10:00:00+01:00\n');
  const h = await eventually(() => o.b.jobs.getJob("hand-made"));
  assert.deepEqual(
    [h.schedule, h.timezone, h.enabled, h.deleteAfterRun, h.action, h.payload, h.misfire, h.noOverlap, h.version, h.nextRunAt],
    [{ cron: "*/5 * * * *" }, "UTC", true, false, { type: "event" }, { prompt: "hi" }, "once", true, 1, "2026-03-01T12:05:00.000Z"],
  );
  const tg = await eventually(() => o.b.jobs.getJob("telegram:123"));
  assert.equal(tg.nextRunAt, "2026-03-05T09:00:00.000Z");
  await eventually(async () => assert.deepEqual((await changes(o.b, head)).sort(), ["job.saved hand-made 1", "job.saved telegram:123 1"]));
  const mid = await o.b.changes.head();
  await fs.rm(o.file("doomed.yaml"));
  await eventually(async () => assert.deepEqual(await changes(o.b, mid), ["job.deleted doomed 1"]));
  await assert.rejects(o.b.jobs.getJob("doomed"), { code: "NOT_FOUND" });
  await assert.rejects(o.b.jobs.getRun("rd"), { code: "NOT_FOUND" });
  const b2 = await o.reopen();
  await assert.rejects(b2.jobs.getJob("doomed"), { code: "NOT_FOUND" });
  assert.deepEqual((await b2.jobs.listJobs({ limit: 10 })).items.map((j) => [j.id, j.version]), [["hand-made", 1], ["telegram:123", 1]]);
});

test("jobs watch: an invalid file is a warning and the last good version stays; fixing it clears the warning", async (t) => {
  const o = await open(t);
  const good = await o.b.jobs.saveJob(jobInput("g"));
  await o.b.engine.applyNow(); // files follow the journal lazily (docs/architecture.md); the test edits them now
  const path = o.file("g.yaml");
  const text = await fs.readFile(path, "utf8");
  const broken: Array<[string, RegExp]> = [
    [text.replace("cron: 0 9 * * *", "cron: 61 * * * *"), /61/],
    [text.replace("timezone: Europe/London", "timezone: Mars/Olympus"), /Mars\/Olympus/],
    [text.replace("misfire: once", "misfire: sometimes"), /"misfire": must be one of skip, once, all/],
    [text.replace("schedule:", "scedule:"), /schedule/],
    [text.replace("id: g", "id: other"), /belongs in other\.yaml/],
    ["schedule: [oops", /not valid YAML/],
  ];
  for (const [garbage, says] of broken) {
    await fs.writeFile(path, garbage);
    const [warning] = await eventually(async () => {
      const w = (await o.b.probe()).warnings ?? [];
      assert.equal(w.length, 1);
      assert.match(w[0], /^schedules\/g\.yaml: .*; the last good version stays in effect$/);
      assert.match(w[0], says);
      return w;
    });
    assert.ok(o.logged.includes(warning));
    assert.deepEqual(await o.b.jobs.getJob("g"), good);
  }
  await fs.writeFile(path, text.replace("cron: 0 9 * * *", "cron: 0 10 * * *"));
  await eventually(async () => assert.equal((await o.b.probe()).warnings, undefined));
  const fixed = await o.b.jobs.getJob("g");
  assert.deepEqual([fixed.schedule, fixed.version, fixed.nextRunAt], [{ cron: "0 10 * * *" }, 2, "2026-03-02T10:00:00.000Z"]);
  // broken while no daemon runs: a warning at open, and the last good version is still served
  await o.b.close();
  await fs.writeFile(path, "schedule: { cron: 'nope' }\n");
  const b2 = await o.reopen();
  assert.match((await b2.probe()).warnings?.[0] ?? "", /^schedules\/g\.yaml: /);
  assert.deepEqual(await b2.jobs.getJob("g"), fixed);
});

test("jobs watch: store writes are not echoed back; an edit while stopped becomes the next version at open", async (t) => {
  const o = await open(t);
  const head = await o.b.changes.head();
  await o.b.jobs.saveJob(jobInput("e"));
  await o.b.jobs.saveJob(jobInput("e", { name: "twice" }));
  await o.b.jobs.fireSlot({ jobId: "e", scheduledFor: "2026-03-02T09:00:00.000Z", runId: "r", firedBy: "x", status: "missed" });
  await o.b.jobs.advanceJob({ jobId: "e", version: 2, nextRunAt: "2026-03-03T09:00:00.000Z" });
  await o.b.jobs.saveJob(jobInput("gone"));
  await o.b.jobs.deleteJob("gone");
  await o.b.jobs.saveJob(jobInput("gone", { name: "back" }));
  // a later hand edit of another file is processed after the events of the writes above
  await fs.writeFile(o.file("sentinel.yaml"), "schedule: '@hourly'\n");
  await eventually(async () => assert.equal((await changes(o.b, head)).length, 7));
  assert.deepEqual(await changes(o.b, head), [
    "job.saved e 1", "job.saved e 2", "job.saved e 2", "job.saved gone 1", "job.deleted gone 1", "job.saved gone 1", "job.saved sentinel 1",
  ]);
  assert.deepEqual(o.logged, []);
  await o.b.close();
  const path = o.file("e.yaml");
  await fs.writeFile(path, (await fs.readFile(path, "utf8")).replace("cron: 0 9 * * *", "cron: 0 8 * * *"));
  const b2 = await o.reopen();
  const e = await b2.jobs.getJob("e");
  assert.deepEqual([e.schedule, e.version, e.nextRunAt, e.lastStatus], [{ cron: "0 8 * * *" }, 3, "2026-03-02T08:00:00.000Z", "missed"]);
  assert.deepEqual((await changes(b2)).slice(-1), ["job.saved e 3"]);
});

test("jobs watch: a hand deletion made while the disk refuses writes lands once it accepts them again", async (t) => {
  const dir = join(root, `d${++n}`);
  const disk = new FaultyDisk();
  const b = new JsonlBackend({ dataDir: dir, origin: "watch-test", now: new TestClock().now, disk, log: { warn: () => {}, info: () => {} } });
  await b.open();
  t.after(() => b.close());
  await b.jobs.saveJob(jobInput("doomed"));
  await b.engine.applyNow();
  // The disk fills up: a journal write fails, so writes are refused until it has room again.
  disk.fail({ op: "write", path: /journal/, code: "ENOSPC" });
  await assert.rejects(b.jobs.saveJob(jobInput("other")), { code: "BACKEND_UNAVAILABLE" });
  await fs.rm(join(dir, "schedules", "doomed.yaml"));
  await new Promise((r) => setTimeout(r, 1500)); // the watcher saw the deletion and was refused
  assert.equal((await b.jobs.getJob("doomed")).id, "doomed", "not deleted while writes are refused");
  disk.clear();
  await eventually(async () => assert.rejects(b.jobs.getJob("doomed"), { code: "NOT_FOUND" }), 5000);
});
