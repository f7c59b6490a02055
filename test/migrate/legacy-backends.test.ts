/**
 * Issue 9: the full legacy fixture (infer, picoclaw, relayburn trees) imported through the daemon's
 * `migrate.legacy` into every backend: a dry run first (moves nothing, writes nothing), the import
 * (every record with its content), a second run (finds nothing new), and a third with every file
 * put back as if the renames had never happened (adds nothing). Postgres and redis are throwaway
 * servers; each test has its own schema or key prefix.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Backend, BackendName } from "../../src/backends/contract.js";
import { createBackend } from "../../src/backends/index.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import {
  expectDryRun, expectImportReport, expectImportedContent, expectNothingImported, expectRenamed, listTree, snapshot, writeLegacyFixture,
} from "./expect-import.js";

const BACKENDS: BackendName[] = ["memory", "jsonl", "sqlite", "postgres", "redis"];
const tag = `${process.pid}_${Date.now().toString(36)}`;
/** What the in-process daemon's importer takes for the host's zone. */
const hostZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

async function redisUnavailable(): Promise<string | undefined> {
  try {
    await redis();
    return undefined;
  } catch (err) {
    if (process.env.CI === "true") throw err;
    return `no redis-server: ${(err as Error).message}`;
  }
}

async function store(name: BackendName, dataDir: string): Promise<Backend> {
  const url = name === "postgres" ? (await postgres()).url : name === "redis" ? (await redis()).url : undefined;
  return createBackend({ name, dataDir, url, pgSchema: `legacy_${tag}`, redisPrefix: `legacy-${tag}:`, origin: "legacy-test", now: () => new Date() });
}

for (const name of BACKENDS) {
  test(`legacy import into ${name}: every record with its content; a second run adds nothing; a dry run moves nothing`, { timeout: 120_000 }, async (t) => {
    const reason = name === "postgres" ? await postgresUnavailable() : name === "redis" ? await redisUnavailable() : undefined;
    if (reason !== undefined) return t.skip(reason);
    const dir = tempDir(t);
    const b = await store(name, join(dir, "data"));
    const d = await startTestDaemon(t, { backend: name, store: b });
    const client = await d.client();
    const fx = writeLegacyFixture(join(dir, "legacy"));
    const { roots } = fx;

    const tree = listTree(fx.dir);
    const dry = await client.migrate.legacy({ roots, dryRun: true });
    await expectDryRun(b, fx, dry, tree);

    const r = await client.migrate.legacy({ roots });
    expectImportReport(r, fx);
    await expectImportedContent(b, fx, hostZone);
    expectRenamed(fx);
    const imported = await snapshot(b);

    const second = await client.migrate.legacy({ roots });
    expectNothingImported(second);
    assert.deepEqual(second.files.filter((f) => f.status === "imported"), [], "the renamed files are not read again");
    assert.deepEqual(await snapshot(b), imported, "the second run changed nothing");

    // The files back where they were (a crash between the writes and the renames): every record is found, none added.
    writeLegacyFixture(fx.dir);
    const third = await client.migrate.legacy({ roots });
    expectNothingImported(third);
    assert.equal(third.counts.sessions.existing, fx.infer.sessions + fx.pico.sessions);
    assert.equal(third.counts.plans.existing, fx.infer.plans);
    assert.equal(third.counts.turns.existing, fx.burn.turns + 1);
    assert.deepEqual(await snapshot(b), imported, "importing the same files again changed nothing");
  });
}
