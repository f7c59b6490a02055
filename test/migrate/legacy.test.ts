import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { runLegacyImport, rootsFor } from "../../src/migrate/legacy/index.js";
import { parseHistory, splitCronTz } from "../../src/migrate/legacy/infer.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { expectDryRun, expectImportReport, expectImportedContent, expectNothingImported, expectRenamed, listTree, snapshot, writeLegacyFixture } from "./expect-import.js";
import { writeInfer, writePicoclaw, writeRelayburn } from "./fixtures.js";

const backend = () => {
  const b = new MemoryBackend({ origin: "test", now: () => new Date() });
  return b;
};

test("parsers: CRON_TZ prefix and literal \\n history", () => {
  assert.deepEqual(splitCronTz("CRON_TZ=Asia/Tokyo 0 9 * * *", "UTC"), { cron: "0 9 * * *", timezone: "Asia/Tokyo" });
  assert.deepEqual(splitCronTz("@every 5m", "Europe/Paris"), { cron: "@every 5m", timezone: "Europe/Paris" });
  assert.deepEqual(parseHistory("a\\nb\n\n  c  \n"), ["a\nb", "c"]);
});

test("infer, picoclaw and relayburn trees import completely, then a second run imports nothing", async (t) => {
  const fx = writeLegacyFixture(tempDir(t));
  const b = backend();
  await b.open();
  const { roots } = fx;

  const tree = listTree(fx.dir);
  const dry = await runLegacyImport(b, { roots, dryRun: true, maxValueBytes: 1 << 20, hostZone: "America/New_York" });
  await expectDryRun(b, fx, dry, tree);

  const r = await runLegacyImport(b, { roots, maxValueBytes: 1 << 20, hostZone: "America/New_York" });
  expectImportReport(r, fx);
  await expectImportedContent(b, fx, "America/New_York");
  expectRenamed(fx);

  const before = await snapshot(b);
  const again = await runLegacyImport(b, { roots, maxValueBytes: 1 << 20 });
  expectNothingImported(again);
  assert.equal(again.files.filter((f) => f.status === "imported").length, 0, "nothing new the second time");
  assert.deepEqual(await snapshot(b), before);
});

test("a file put back after import (or a crash before the rename) imports nothing twice", async (t) => {
  const dir = tempDir(t);
  const roots = rootsFor([join(dir, "infer"), join(dir, "burn")]);
  const b = backend();
  await b.open();
  writeInfer(join(dir, "infer"), { conversations: 2 });
  writeRelayburn(join(dir, "burn"), 5);
  await runLegacyImport(b, { roots, maxValueBytes: 1 << 20 });
  // Same files again, as if the process had died before renaming them.
  const infer = writeInfer(join(dir, "infer"), { conversations: 2 });
  writeRelayburn(join(dir, "burn"), 5);
  const r = await runLegacyImport(b, { roots, maxValueBytes: 1 << 20 });
  assert.equal(r.counts.sessions.imported, 0);
  assert.equal(r.counts.sessions.existing, infer.sessions);
  assert.equal(r.counts.messages.imported, 0);
  assert.equal(r.counts.history.imported, 0);
  assert.equal(r.counts.turns.imported, 0);
  assert.equal(r.counts.plans.existing, infer.plans);
  assert.equal((await b.history.list({ limit: 100 })).items.length, infer.history);
  const s = await b.conversations.getSession("conv-v1");
  assert.equal(s.lastSeq, 3);
});

test("migrate.legacy over RPC sends progress and the CLI prints a report", async (t) => {
  const d = await startTestDaemon(t);
  const dir = tempDir(t);
  writeRelayburn(join(dir, "burn"), 3);
  writePicoclaw(join(dir, "pico"));
  const client = await d.client();
  const report = await client.migrate.legacy({ roots: rootsFor([join(dir, "burn"), join(dir, "pico")]) });
  assert.equal(report.counts.turns.imported, 4);
  assert.equal(report.counts.sessions.imported, 2);
  await assert.rejects(client.migrate.legacy({ roots: [{ source: "infer", path: "relative/dir" }] }), /absolute/);

  writeRelayburn(join(dir, "burn2"), 3);
  const { runCli } = await import("../../src/client/cli/main.js");
  let out = "";
  let err = "";
  const code = await runCli(["migrate", "legacy", "--socket", d.socket, "--path", join(dir, "burn2"), "--source", "relayburn"], {
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  assert.equal(code, 0, err);
  assert.match(out, /turns\s+0\s+5\s+1/);
});
