/**
 * The runner over all five tools: a dry run counts what the real run imports and writes and renames
 * nothing; a second run finds nothing; files put back import nothing twice; the RPC method reports
 * progress; the CLI refuses a --path that does not exist (exit 2) and prints kept and unread lines.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { LegacyReport } from "../../src/domain/migrate.js";
import { formatReport, rootsFor, runLegacyImport } from "../../src/migrate/legacy/index.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { writeRelayburnTree } from "./fixtures/relayburn.js";
import { writeTrees } from "./fixtures/trees.js";
import { recordingTarget } from "./recording-restore.js";

const listTree = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
const totals = (r: LegacyReport, what: "imported" | "existing" | "skipped" | "kept") =>
  Object.fromEntries(Object.entries(r.counts).map(([k, c]) => [k, c[what]]));

test("all five tools: a dry run counts what the import does, and a second run finds nothing", async (t) => {
  const fx = writeTrees(tempDir(t));
  const { target, rec, backend } = await recordingTarget();
  const opts = { roots: fx.roots, maxValueBytes: 1 << 20, hostZone: fx.infer.zone };

  const before = listTree(fx.dir);
  const dry = await runLegacyImport(target, { ...opts, dryRun: true });
  assert.deepEqual(listTree(fx.dir), before, "a dry run moves nothing");
  assert.equal(rec.calls.length, 0, "a dry run restores nothing");
  assert.equal((await backend.ledger.query({ limit: 10 })).items.length, 0);
  assert.equal((await backend.history.list({ limit: 10 })).items.length, 0);
  assert.ok(dry.files.every((f) => f.renamedTo === undefined));

  const r = await runLegacyImport(target, opts);
  assert.deepEqual(totals(r, "imported"), totals(dry, "imported"), "the dry run counted what the import did");
  assert.deepEqual(totals(r, "kept"), totals(dry, "kept"));
  assert.equal(r.counts.sessions.imported, fx.sessions);
  assert.equal(r.counts.messages.imported, fx.messages);
  assert.equal(r.counts.turns.imported, fx.turns);
  assert.ok(r.files.every((f) => f.status !== "failed"), JSON.stringify(r.files.filter((f) => f.status === "failed")));
  const renamed = r.files.filter((f) => f.renamedTo).map((f) => f.source);
  assert.ok(!renamed.includes("claude-code") && !renamed.includes("codex"), "the transcripts stay with their tools");
  assert.ok(renamed.includes("infer") && renamed.includes("picoclaw") && renamed.includes("relayburn"));

  const calls = rec.calls.length;
  const again = await runLegacyImport(target, opts);
  for (const [kind, c] of Object.entries(again.counts)) assert.equal(c.imported, 0, `${kind}: nothing new`);
  assert.equal(rec.calls.length, calls, "nothing restored the second time");
  assert.deepEqual(
    again.files.filter((f) => f.source !== "claude-code" && f.source !== "codex").map((f) => f.path),
    [join(fx.dir, "infer", "schedules", "broken.yaml")],
    "renamed files are not read again; only the skipped one is",
  );

  // Every file back where it was, as if the process had died before the renames.
  writeTrees(fx.dir);
  const third = await runLegacyImport(target, opts);
  for (const [kind, c] of Object.entries(third.counts)) assert.equal(c.imported, 0, `${kind}: nothing new from files put back`);
  assert.equal(third.counts.sessions.existing, fx.sessions);
  assert.equal(third.counts.turns.existing, fx.turns);
  assert.equal(rec.calls.length, calls);
  assert.equal((await backend.history.list({ limit: 100 })).items.length, fx.infer.history.length + fx.infer.subagentHistory.commands.length);
});

test("migrate.legacy over RPC sends progress; the CLI prints kept and unread lines and refuses a missing --path", async (t) => {
  const d = await startTestDaemon(t);
  const dir = tempDir(t);
  const burn = writeRelayburnTree(join(dir, "burn"));
  const client = await d.client();
  const report = await client.migrate.legacy({ roots: rootsFor([join(dir, "burn")]) });
  assert.equal(report.counts.turns.imported, burn.turns.length);
  await assert.rejects(client.migrate.legacy({ roots: [{ source: "infer", path: "relative/dir" }] }), /absolute/);
  const text = formatReport(report);
  assert.match(text, /kept in .*ledger\.jsonl\.migrated-.*: 1 compactions, 2 relationships, 1 toolResultEvents, 2 userTurns, 1 stamps/);

  const { runCli } = await import("../../src/client/cli/main.js");
  const run = async (...args: string[]) => {
    let out = "";
    let err = "";
    const code = await runCli(["migrate", "legacy", "--socket", d.socket, ...args], { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  };
  const missing = await run("--path", join(dir, "nope"));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--path .*nope does not exist/);
  const notDir = await run("--path", join(dir, "burn", readdirSync(join(dir, "burn"))[0]));
  assert.equal(notDir.code, 2);
  assert.match(notDir.err, /is not a directory/);
  const badSource = await run("--source", "cursor");
  assert.equal(badSource.code, 2);

  writeRelayburnTree(join(dir, "burn2"));
  const { appendFileSync } = await import("node:fs");
  appendFileSync(join(dir, "burn2", "ledger.jsonl"), "not json\n");
  const ok = await run("--path", join(dir, "burn2"), "--source", "relayburn");
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, new RegExp(`turns\\s+0\\s+${burn.turns.length}\\s+0\\s+0`));
  assert.match(ok.out, /stays in place: .*ledger\.jsonl: line\(s\) \d+ could not be read/);
});
