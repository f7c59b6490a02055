/** Plans as hand-editable Markdown: edits, additions, deletions and broken files are noticed within 1 s. */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { promises as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { parsePlanFile, serializePlan } from "../../src/backends/jsonl/plan-file.js";
import type { Plan } from "../../src/domain/plans.js";
import { TestClock } from "../helpers/clock.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-plans-watch-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface Opened {
  b: JsonlBackend;
  dir: string;
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
    dir,
    logged,
    file: (name) => join(dir, "plans", name),
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

const changes = async (b: JsonlBackend, after?: string): Promise<Array<[string, string, number | undefined]>> =>
  (await b.changes.since(after, 1000)).changes.filter((c) => c.domain === "plans").map((c) => [c.type, c.id, c.version]);

test("plan file format: titles and bodies round-trip exactly", () => {
  const base: Plan = { id: "p", title: "t", slug: "t", body: "", status: "draft", createdAt: "2026-03-01T12:00:00.000Z", updatedAt: "2026-03-01T12:00:00.000Z", version: 1, uri: "agentstate://plans/p" };
  const titles = ["Plain", "  spaced  ", "two\nlines", "cr\r\nlf", "# hash", "---", "trailing\r"];
  const bodies = ["", "\n", "\n\nstarts blank", "\r\nstarts with CRLF", "a\r\nb\r\n", "no final newline", "---\nx: 1\n---\n# not a heading\n", "  \t"];
  for (const title of titles) {
    for (const body of bodies) {
      const p = { ...base, title, body, sessionId: "123" };
      const parsed = parsePlanFile(serializePlan(p));
      assert.deepEqual([parsed.title, parsed.body, parsed.sessionId, parsed.version], [title, body, "123", 1], JSON.stringify({ title, body }));
    }
  }
  assert.match(serializePlan({ ...base, title: "Fix it", body: "b" }), /^---\nid: p\nslug: t\nstatus: draft\ncreatedAt: .*\nupdatedAt: .*\nversion: 1\n---\n# Fix it\n\nb$/);
  // a file saved by an editor that turned every line ending into CRLF
  const crlf = parsePlanFile("---\r\nid: p\r\nstatus: approved\r\n---\r\n# Title\r\n\r\nbody\r\n");
  assert.deepEqual([crlf.id, crlf.status, crlf.title, crlf.body], ["p", "approved", "Title", "body\r\n"]);
});

test("plans watch: a hand edit of body, title and status shows within 1 s as plan.saved, and the file is left as written", async (t) => {
  const o = await open(t);
  await o.b.plans.savePlan({ id: "p1", title: "Original", body: "line one\n", sessionId: "s1" });
  await o.b.engine.applyNow();
  const head = await o.b.changes.head();
  const path = o.file("p1.md");
  const edited = (await fs.readFile(path, "utf8")).replace("status: draft", "status: approved").replace("# Original", "# Edited title").replace("line one\n", "line one\r\nline two");
  await fs.writeFile(path, edited);
  const p = await eventually(async () => {
    assert.equal((await changes(o.b, head)).length, 1);
    return o.b.plans.getPlan("p1");
  });
  assert.deepEqual([p.title, p.body, p.status, p.sessionId, p.slug], ["Edited title", "line one\r\nline two", "approved", "s1", "original"]);
  assert.deepEqual(await changes(o.b, head), [["plan.saved", "p1", 2]]);
  assert.deepEqual((await o.b.changes.since(head, 10)).changes[0].data, { status: "approved" });
  assert.equal(await fs.readFile(path, "utf8"), edited);
  // the version given to the edit survives a restart, and the restart records nothing new
  const after = await o.b.changes.head();
  const b2 = await o.reopen();
  assert.deepEqual(await b2.plans.getPlan("p1"), p);
  assert.deepEqual(await changes(b2, after), []);
  // a store write after a hand edit replaces the file and is not echoed back
  const v3 = await b2.plans.savePlan({ id: "p1", status: "rejected", expectedVersion: 2 });
  assert.equal(v3.body, "line one\r\nline two");
});

test("plans watch: a new file appears (id from the name or the front matter); a deleted one is NOT_FOUND with plan.deleted", async (t) => {
  const o = await open(t);
  const head = await o.b.changes.head();
  await fs.writeFile(o.file("new-plan.md"), "---\nstatus: pending\n---\n# New plan\n\nDo it.\r\nno final newline");
  await fs.writeFile(o.file("telegram_3A123.md"), "---\nid: \"telegram:123\"\nsessionId: s9\n---\n# From the front matter\n");
  const p = await eventually(() => o.b.plans.getPlan("new-plan"));
  assert.deepEqual([p.title, p.body, p.status, p.slug, p.version, p.uri], ["New plan", "Do it.\r\nno final newline", "pending", "new-plan", 1, "agentstate://plans/new-plan"]);
  const q = await eventually(() => o.b.plans.getPlan("telegram:123"));
  assert.deepEqual([q.title, q.body, q.status, q.sessionId], ["From the front matter", "", "draft", "s9"]);
  await eventually(async () => assert.deepEqual((await changes(o.b, head)).sort(), [["plan.saved", "new-plan", 1], ["plan.saved", "telegram:123", 1]]));
  const mid = await o.b.changes.head();
  await fs.rm(o.file("new-plan.md"));
  await eventually(async () => assert.deepEqual(await changes(o.b, mid), [["plan.deleted", "new-plan", 1]]));
  await assert.rejects(o.b.plans.getPlan("new-plan"), { code: "NOT_FOUND" });
  assert.deepEqual((await o.b.plans.listPlans({ limit: 10 })).items.map((x) => x.id), ["telegram:123"]);
  const b2 = await o.reopen();
  await assert.rejects(b2.plans.getPlan("new-plan"), { code: "NOT_FOUND" });
  assert.equal((await b2.plans.getPlan("telegram:123")).version, 1);
});

test("plans watch: a broken file is a warning and the last good version stays; fixing it clears the warning", async (t) => {
  const o = await open(t);
  const good = await o.b.plans.savePlan({ id: "g", title: "Good", body: "good body" });
  await o.b.engine.applyNow();
  const path = o.file("g.md");
  const text = await fs.readFile(path, "utf8");
  const broken = [
    "no front matter at all",
    text.replace("status: draft", "status: finished"),
    text.replace("# Good", "Good"),
    text.replace("id: g", "id: other"),
    text.replace("version: 1", "version: [oops"),
  ];
  for (const garbage of broken) {
    await fs.writeFile(path, garbage);
    const [warning] = await eventually(async () => {
      const w = (await o.b.probe()).warnings ?? [];
      assert.equal(w.length, 1);
      assert.match(w[0], /^plans\/g\.md: /);
      return w;
    });
    assert.ok(o.logged.includes(warning));
    assert.deepEqual(await o.b.plans.getPlan("g"), good);
  }
  await fs.writeFile(path, text.replace("good body", "fixed body"));
  await eventually(async () => assert.equal((await o.b.probe()).warnings, undefined));
  const fixed = await o.b.plans.getPlan("g");
  assert.deepEqual([fixed.body, fixed.version], ["fixed body", 2]);
  // a file broken while no daemon runs is reported at open, and a good one next to it loads
  await o.b.plans.savePlan({ id: "h", title: "Other" });
  await o.b.close();
  await fs.writeFile(path, "garbage");
  const b2 = await o.reopen();
  assert.equal((await b2.probe()).warnings?.length, 1);
  assert.equal((await b2.plans.getPlan("h")).title, "Other");
});

test("plans watch: writes through the store are not echoed back as changes", async (t) => {
  const o = await open(t);
  const head = await o.b.changes.head();
  await o.b.plans.savePlan({ id: "e", title: "Echo?" });
  await o.b.plans.savePlan({ id: "e", body: "twice" });
  await o.b.plans.savePlan({ id: "gone", title: "Deleted soon" });
  await o.b.plans.deletePlan("gone");
  await o.b.plans.savePlan({ id: "gone", title: "Back again" });
  // a later hand edit of another file is processed after the events of the writes above
  await fs.writeFile(o.file("sentinel.md"), "---\n---\n# Sentinel\n");
  await eventually(async () => assert.equal((await changes(o.b, head)).length, 6));
  assert.deepEqual(await changes(o.b, head), [
    ["plan.saved", "e", 1], ["plan.saved", "e", 2], ["plan.saved", "gone", 1], ["plan.deleted", "gone", 1], ["plan.saved", "gone", 1],
    ["plan.saved", "sentinel", 1],
  ]);
  assert.equal((await o.b.plans.getPlan("e")).version, 2);
  assert.equal((await o.b.plans.getPlan("gone")).title, "Back again");
});

test("plans watch: a file edited while no daemon ran becomes the next version at open", async (t) => {
  const o = await open(t);
  await o.b.plans.savePlan({ id: "off", title: "Before" });
  await o.b.plans.savePlan({ id: "off", body: "v2" });
  await o.b.close();
  const path = o.file("off.md");
  await fs.writeFile(path, (await fs.readFile(path, "utf8")).replace("v2", "edited offline"));
  await fs.writeFile(o.file("added-offline.md"), "---\n---\n# Added offline\n\nx");
  const before = await (async () => {
    const b = new JsonlBackend({ dataDir: o.dir, origin: "peek", now: () => new Date() });
    await b.open();
    const p = await b.plans.getPlan("off");
    const head = (await b.changes.since(undefined, 1000)).changes.filter((c) => c.domain === "plans");
    await b.close();
    return { p, head };
  })();
  assert.deepEqual([before.p.body, before.p.version], ["edited offline", 3]);
  assert.deepEqual(before.head.slice(-2).map((c) => [c.type, c.id, c.version]).sort(), [["plan.saved", "added-offline", 1], ["plan.saved", "off", 3]]);
  const b2 = await o.reopen();
  assert.equal((await b2.plans.getPlan("off")).version, 3);
  assert.equal((await b2.plans.getPlan("added-offline")).body, "x");
});
