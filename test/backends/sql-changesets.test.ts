// The changesets and invocations conformance cases on sqlite and postgres, plus concurrent record calls.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { makeSuite, type Suite } from "../conformance/harness.js";
import { postgres } from "../helpers/postgres.js";

const root = mkdtempSync(join(tmpdir(), "sql-changesets-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

const sqlite = makeSuite("sqlite-changesets", async (ctx) => new SqliteBackend({ ...ctx, path: join(root, `${ctx.isolationKey}.sqlite`) }), { durable: true });
const pgSuite = makeSuite("postgres-changesets", async (ctx) => new PostgresBackend({ ...ctx, url: (await postgres()).url, schema: ctx.isolationKey }), { durable: true });

/** Races two daemons could run on Postgres (here: several pool connections of one backend). */
function concurrency(s: Suite): void {
  test("changesets: concurrent record calls on one changeset get dense, distinct seq ranges", async (t) => {
    const { backend: b } = await s.open(t);
    await b.changesets.start({ id: "busy", planId: "p" });
    const calls = Array.from({ length: 24 }, (_, i) =>
      b.changesets.record("busy", Array.from({ length: (i % 3) + 1 }, (_, j) => ({ id: `e${i}-${j}`, path: `f${i}.ts`, operation: "modify" as const }))),
    );
    const results = await Promise.all(calls);
    const total = results.reduce((n, r) => n + r.lastSeq - r.firstSeq + 1, 0);
    const ranges = results.map((r) => [r.firstSeq, r.lastSeq]).sort((x, y) => x[0] - y[0]);
    let next = 1;
    for (const [first, last] of ranges) {
      assert.equal(first, next, "no overlap, no hole");
      next = last + 1;
    }
    const got = await b.changesets.get("busy");
    assert.deepEqual(got.entries.map((e) => e.seq), Array.from({ length: total }, (_, i) => i + 1));
    for (const r of results) {
      assert.deepEqual(got.entries.slice(r.firstSeq - 1, r.lastSeq).map((e) => e.id), r.entryIds, "each call's entries stay together");
    }
  });

  test("invocations: concurrent first saves of one id all succeed; exactly one is the creation", async (t) => {
    const { backend: b } = await s.open(t);
    const start = await b.changes.head();
    const saves = Array.from({ length: 8 }, () => b.changesets.saveInvocation({ id: "same", planId: "p", toolName: "t", arguments: null, status: "running" }));
    await Promise.all(saves);
    const { changes } = await b.changes.since(start, 100);
    assert.equal(changes.length, 8);
    assert.deepEqual(changes.filter((c) => (c.data as { created: boolean }).created).length, 1);
    assert.equal((await b.changesets.listInvocationsForPlan({ planId: "p", limit: 10 })).items.length, 1);
  });
}

describe("sqlite: changesets under concurrency", () => concurrency(sqlite));
describe("postgres: changesets under concurrency", () => concurrency(pgSuite));
