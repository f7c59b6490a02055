/**
 * R5 (SPEC §11): three real `agentstated` processes on one Postgres schema, and three on one Redis key
 * prefix. 20 event jobs on a 6-field cron (seconds field: every even second), created through daemon A, run for 2 minutes of real time; then
 * the daemons stop and the store itself is read: each job's runs are exactly the 2 s slots from its
 * anchor on (none missing, none twice), none fired before its time, and the firing is spread over the
 * daemons. Meanwhile each daemon ingests the same 10,000 ledger turns (its own client, batches of
 * 1,000, all three at once): 10,000 stored, and `inserted` summed over the daemons is 10,000.
 * The Postgres and Redis cases run concurrently, so the file takes about 2.5 minutes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { RedisBackend } from "../../src/backends/redis/index.js";
import { connect, type Client } from "../../src/client/index.js";
import type { Run } from "../../src/domain/jobs.js";
import type { Turn } from "../../src/domain/ledger.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";
import { spawnDaemon, type ChildWatch } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const DAEMONS = 3;
const JOBS = 20;
const EVERY_MS = 2000;
const WINDOW_MS = 120_000; // SPEC: 2 minutes
const SLOTS = WINDOW_MS / EVERY_MS; // per job, in [anchor, anchor + 2 min)
const TURNS = 10_000;
const BATCH = 1000;

type Store = Pick<Backend, "jobs" | "ledger"> & { open(): Promise<void>; close(): Promise<void> };

interface Case {
  /** Daemon flags naming the shared store. */
  args: string[];
  /** A backend handle on the same store, for reading it after the daemons stopped. */
  store: () => Store;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
const iso = (ms: number) => new Date(ms).toISOString();

/** The same 10,000 turns for every daemon: 50 sessions, one model per parity, a day of timestamps. */
const TURN_SET: Turn[] = Array.from({ length: TURNS }, (_, i) => ({
  source: "claude",
  sessionId: `r5-s${i % 50}`,
  messageId: `r5-m${i}`,
  turnIndex: Math.floor(i / 50),
  ts: iso(Date.UTC(2026, 5, 1) + i * 8_000),
  model: i % 2 ? "sonnet" : "opus",
  project: "r5",
  usage: { input: 100 + (i % 7), output: 10 + (i % 3) },
  costUsd: 0.125,
}));

async function allRuns(store: Store, jobId: string): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.jobs.listRuns({ jobId, cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out.sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
}

async function ledgerCount(client: Client): Promise<{ turns: number; distinct: number }> {
  const ids = new Set<string>();
  let turns = 0;
  let cursor: string | undefined;
  do {
    const page = await client.ledger.query({ project: "r5", limit: 1000, cursor });
    turns += page.items.length;
    for (const item of page.items) ids.add(item.idHash);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { turns, distinct: ids.size };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function r5(t: TestContext, c: Case): Promise<void> {
  const dir = tempDir(t, "agentstate-r5-");
  const socketOf = (i: number) => join(dir, "run", `d${i}.sock`);
  const daemonArgs = (i: number) => [...c.args, "--data-dir", join(dir, `data-${i}`), "--timezone", "UTC"];
  // A first (it migrates an empty store), then B and C together.
  const daemons: ChildWatch[] = [await spawnDaemon(t, { socket: socketOf(0), args: daemonArgs(0) })];
  daemons.push(...(await Promise.all([1, 2].map((i) => spawnDaemon(t, { socket: socketOf(i), args: daemonArgs(i) })))));
  const clients = await Promise.all(daemons.map((_, i) => connect({ socket: socketOf(i), timeoutMs: 60_000 })));
  t.after(() => clients.forEach((cl) => cl.close()));
  const name = new Map(daemons.map((d, i) => [d.pid, "ABC"[i]]));
  const daemonOf = (firedBy: string) => name.get(Number(firedBy.split("@")[0])) ?? firedBy;

  // A 6-field cron (with seconds) firing on every even second: all 20 jobs fall due at once. The
  // window starts at an even second a few seconds ahead; slots between a save and it count too.
  const anchor = Math.ceil((Date.now() + 4000) / EVERY_MS) * EVERY_MS;
  const firstSlot = new Map<number, number>();
  for (let i = 0; i < JOBS; i++) {
    const job = await clients[0].jobs.save({
      id: `r5-${i}`,
      schedule: { cron: "*/2 * * * * *" },
      action: { type: "event" },
      payload: { n: i },
      noOverlap: false, // nobody claims these runs: with noOverlap each later slot would be `skipped`
    });
    const first = Date.parse(job.nextRunAt ?? "");
    assert.ok(first % EVERY_MS === 0 && first <= anchor, `r5-${i}: first slot ${job.nextRunAt} is not an even second before the window`);
    firstSlot.set(i, first);
  }
  const savedBy = Date.now();

  // The ledger, while the jobs fire: each daemon ingests all 10,000 turns, in batches, concurrently.
  await sleepUntil(anchor + 3000);
  const ingestStart = Date.now();
  const ingested = await Promise.all(
    clients.map(async (client) => {
      let inserted = 0;
      let duplicates = 0;
      for (let b = 0; b < TURNS; b += BATCH) {
        const r = await client.ledger.ingest({ turns: TURN_SET.slice(b, b + BATCH) });
        inserted += r.inserted;
        duplicates += r.duplicates;
      }
      return { inserted, duplicates, ms: Date.now() - ingestStart };
    }),
  );
  const stored = await ledgerCount(clients[1]);

  // Past the last slot of the window by a margin, then ask each daemon what it saw and stop them all.
  await sleepUntil(anchor + WINDOW_MS + 1500);
  const health = await Promise.all(clients.map((cl) => cl.daemon.health()));
  clients.forEach((cl) => cl.close());
  const exits = await Promise.all(daemons.map((d) => d.kill("SIGTERM")));

  // Every daemon stopped cleanly, then the store itself is the judge.
  assert.deepEqual(exits.map((e) => e.code), [0, 0, 0], daemons.map((d) => d.stderr.slice(-2000)).join("\n"));
  const store = c.store();
  await store.open();
  t.after(() => store.close());
  const windowEnd = anchor + WINDOW_MS;
  const byDaemon = new Map<string, number>();
  const lags: number[] = [];
  let inWindow = 0;
  let after = 0;
  let duplicates = 0;
  for (let i = 0; i < JOBS; i++) {
    const runs = await allRuns(store, `r5-${i}`);
    const slots = runs.map((r) => r.scheduledFor);
    duplicates += slots.length - new Set(slots).size;
    // Exactly the 2 s slots from the job's first on, each once: up to the window, the whole window, and
    // whatever fired after it before the daemons stopped, without a gap.
    const first = firstSlot.get(i) ?? anchor;
    const before = (anchor - first) / EVERY_MS;
    const expected = Array.from({ length: Math.max(before + SLOTS, runs.length) }, (_, k) => iso(first + k * EVERY_MS));
    assert.deepEqual(slots, expected, `r5-${i}: the runs are not exactly one per 2 s slot`);
    for (const r of runs) {
      const due = Date.parse(r.scheduledFor);
      if (due >= anchor && due < windowEnd) inWindow++;
      else if (due >= windowEnd) after++;
      assert.equal(r.status, "pending", `r5-${i} ${r.scheduledFor}: an unclaimed event run stays pending`);
      const lag = Date.parse(r.firedAt) - due;
      assert.ok(lag >= 0, `r5-${i} ${r.scheduledFor} fired ${-lag} ms early`);
      lags.push(lag);
      const who = daemonOf(r.firedBy);
      byDaemon.set(who, (byDaemon.get(who) ?? 0) + 1);
    }
  }
  assert.equal(duplicates, 0);
  assert.equal(inWindow, JOBS * SLOTS);
  assert.ok([...byDaemon.keys()].every((k) => "ABC".includes(k)), `runs fired by unknown daemons: ${[...byDaemon.keys()].join(", ")}`);
  assert.ok(byDaemon.size >= 2, `all firing by one daemon: ${JSON.stringify(Object.fromEntries(byDaemon))}`);

  // The ledger: stored once, however many daemons ingested it.
  assert.deepEqual(stored, { turns: TURNS, distinct: TURNS }, "ledger.query through B after all three ingested");
  assert.equal(ingested.reduce((n, r) => n + r.inserted, 0), TURNS, "inserted summed over the daemons");
  assert.equal(ingested.reduce((n, r) => n + r.duplicates, 0), (DAEMONS - 1) * TURNS, "duplicates summed over the daemons");

  lags.sort((a, b) => a - b);
  const sched = health.map((h) => h.checks.scheduler as { fired?: number; lost?: number; lastLagMs?: number });
  t.diagnostic(`jobs saved ${anchor - savedBy} ms before the first slot`);
  t.diagnostic(`slots: expected ${JOBS * SLOTS} in the window, fired ${inWindow} (+${after} after it before stop), duplicates ${duplicates}`);
  t.diagnostic(`fired by: ${[...byDaemon].sort().map(([k, n]) => `${k} ${n}`).join(", ")}; health fired/lost: ${sched.map((s, i) => `${"ABC"[i]} ${s.fired}/${s.lost}`).join(", ")}`);
  t.diagnostic(`firing lag (firedAt - scheduledFor): p50 ${quantile(lags, 0.5)} ms, p99 ${quantile(lags, 0.99)} ms, max ${lags[lags.length - 1]} ms`);
  t.diagnostic(`ledger: inserted ${ingested.map((r) => r.inserted).join(" + ")} = ${ingested.reduce((n, r) => n + r.inserted, 0)}; query ${stored.turns} turns; ingest took ${ingested.map((r) => r.ms).join(", ")} ms`);
}

async function redisUnavailable(): Promise<string | undefined> {
  try {
    await redis();
    return undefined;
  } catch (err) {
    if (process.env.CI === "true") throw err;
    return `no redis-server: ${(err as Error).message}`;
  }
}

const TIMEOUT = 5 * 60_000;

describe("R5: three daemons on one store, 20 jobs every 2 s for 2 minutes, one ledger", { concurrency: 2 }, () => {
  test("postgres: every slot fired exactly once; 10,000 turns from three daemons stored once", { timeout: TIMEOUT }, async (t) => {
    const reason = await postgresUnavailable();
    if (reason !== undefined) return t.skip(reason);
    const { url } = await postgres();
    const schema = `r5_${process.pid}`;
    await r5(t, {
      args: ["--backend", "postgres", "--url", url, "--pg-schema", schema],
      store: () => new PostgresBackend({ url, schema, origin: "r5-check", now: () => new Date() }),
    });
  });

  test("redis: every slot fired exactly once; 10,000 turns from three daemons stored once", { timeout: TIMEOUT }, async (t) => {
    const reason = await redisUnavailable();
    if (reason !== undefined) return t.skip(reason);
    const { url } = await redis();
    const prefix = `r5-${process.pid}:`;
    await r5(t, {
      args: ["--backend", "redis", "--url", url, "--redis-prefix", prefix],
      store: () => new RedisBackend({ url, prefix, origin: "r5-check", now: () => new Date() }),
    });
  });
});
