/**
 * All five tools imported through the daemon's `migrate.legacy` into every backend: a dry run
 * first (moves nothing, writes nothing), the import (every record, read back through the store
 * contract), a second run (finds nothing new), and a third with every file put back (adds nothing).
 * The daemon writes through the interim restore adapter until backends expose `backend.restore`,
 * so this checks contents, not the original times (those are checked per tool against the restore
 * path's interface: infer.test.ts, picoclaw.test.ts, claude-code.test.ts, codex.test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { COPY_DOMAINS, digestDomain, pages, storedMessages } from "../../src/migrate/checksum.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { BACKENDS, openStore, unavailable } from "./backends.js";
import { writeTrees, type Trees } from "./fixtures/trees.js";

async function snapshot(b: Backend): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const d of COPY_DOMAINS) out[d] = Object.fromEntries(await digestDomain(b, d));
  return out;
}

async function expectContent(b: Backend, fx: Trees): Promise<void> {
  const sessions = [];
  for await (const s of pages((cursor) => b.conversations.listSessions({ cursor, limit: 100 }))) sessions.push(s);
  assert.equal(sessions.length, fx.sessions);
  let messages = 0;
  for (const s of sessions) for await (const _m of storedMessages(b, s.id)) messages++;
  assert.equal(messages, fx.messages, "every message arrived");
  const pico = await b.conversations.getSession(fx.pico.current.key);
  assert.deepEqual(pico.metadata.scope, fx.pico.current.scope);
  assert.equal(pico.summary, fx.pico.current.summary);
  assert.equal(pico.messageCount, fx.pico.current.messages.length - fx.pico.current.skip, "the skip prefix is hidden");
  const claude = await b.conversations.getSession(fx.claude.main.sessionId);
  assert.equal(claude.title, "Add a config file");
  const infer = await b.conversations.getSession(fx.infer.conversations[0].id);
  assert.equal((infer.metadata.token_stats as { last_input_tokens: number }).last_input_tokens, fx.infer.conversations[0].tokens.lastInput);

  const jobs = [];
  for await (const j of pages((cursor) => b.jobs.listJobs({ cursor, limit: 100 }))) jobs.push(j.id);
  assert.deepEqual(jobs.sort(), [...fx.infer.jobs].sort());
  assert.equal((await b.jobs.getJob("ping")).enabled, false, "a run_once job that ran is not armed again");
  for (const p of fx.infer.plans) assert.equal((await b.plans.getPlan(p.id)).body, p.body);
  const group = await b.groups.getGroup(fx.infer.groups[0].id);
  assert.equal(group.lastRolloverAt, fx.infer.groups[0].lastRolloverAt);
  assert.equal((await b.groups.getGroup(fx.infer.groups[1].id)).lastRolloverAt, undefined, "Go's zero time is absent");
  const hist = (await b.history.list({ limit: 100 })).items;
  assert.deepEqual(hist.map((e) => e.command), [...fx.infer.history, ...fx.infer.subagentHistory.commands]);

  let turns = 0;
  for await (const _t of pages((cursor) => b.ledger.query({ cursor, limit: 1000 }))) turns++;
  assert.equal(turns, fx.turns);
}

for (const name of BACKENDS) {
  test(`all five tools into ${name}: every record; a second run adds nothing; a dry run moves nothing`, { timeout: 180_000 }, async (t) => {
    const reason = await unavailable(name);
    if (reason !== undefined) return t.skip(reason);
    const dir = tempDir(t);
    const store = await openStore(name, join(dir, "data"), "legacy");
    const d = await startTestDaemon(t, { backend: name, store });
    const client = await d.client();
    const fx = writeTrees(join(dir, "trees"));
    const { roots } = fx;

    const dry = await client.migrate.legacy({ roots, dryRun: true });
    assert.ok(dry.files.every((f) => f.renamedTo === undefined));
    const empty = await snapshot(store);
    for (const domain of COPY_DOMAINS) assert.deepEqual(empty[domain], {}, `a dry run writes nothing (${domain})`);

    const r = await client.migrate.legacy({ roots });
    assert.ok(r.files.every((f) => f.status !== "failed"), JSON.stringify(r.files.filter((f) => f.status === "failed")));
    assert.equal(r.counts.sessions.imported, fx.sessions);
    assert.equal(r.counts.turns.imported, fx.turns);
    await expectContent(store, fx);
    const imported = await snapshot(store);

    const second = await client.migrate.legacy({ roots });
    for (const [kind, c] of Object.entries(second.counts)) assert.equal(c.imported, 0, `${kind}: nothing new`);
    assert.deepEqual(await snapshot(store), imported, "the second run changed nothing");

    writeTrees(fx.dir);
    const third = await client.migrate.legacy({ roots });
    for (const [kind, c] of Object.entries(third.counts)) assert.equal(c.imported, 0, `${kind}: nothing new from files put back`);
    assert.equal(third.counts.sessions.existing, fx.sessions);
    assert.deepEqual(await snapshot(store), imported, "importing the same files again changed nothing");
  });
}
