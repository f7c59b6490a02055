/**
 * R2 (SPEC §11): Postgres and Redis each stopped for 5 s under load, each on a throwaway server of
 * its own (never a shared one: stopping it would break other tests).
 */
import { test, type TestContext } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { startThrowawayPostgres } from "../helpers/postgres.js";
import { startThrowawayRedis } from "../helpers/redis.js";
import { outageRun, type OutageReport } from "./outage.js";

function report(t: TestContext, r: OutageReport): void {
  t.diagnostic(
    `acked ${r.acked}, failed ${r.failed} (${r.unknown} OUTCOME_UNKNOWN; slowest failure ${r.maxFailedMs.toFixed(0)} ms), ` +
      `first success ${r.recoveryMs.toFixed(0)} ms after the server was ready, feed attached after ${r.feedMs.toFixed(0)} ms, ` +
      `health fail seen ${r.healthFailSeenAfterMs.toFixed(0)} ms into the outage, slowest ping ${r.maxPingMs.toFixed(0)} ms, changes ${r.changes}`,
  );
}

/** A server we can stop, or why this test cannot run here (a failure under CI). */
async function throwaway<T>(start: () => Promise<T>, what: string): Promise<T | string> {
  try {
    return await start();
  } catch (err) {
    if (process.env.CI === "true") throw err;
    return `no ${what}: ${(err as Error).message}`;
  }
}

const pgServer = await throwaway(startThrowawayPostgres, "PostgreSQL server");
const redisServer = await throwaway(startThrowawayRedis, "redis-server");

test("R2 postgres: stopped for 5 s under load, the daemon fails fast, recovers and loses no event", {
  skip: typeof pgServer === "string" ? pgServer : undefined,
  timeout: 90_000,
}, async (t) => {
  if (typeof pgServer === "string") return;
  const { url } = pgServer;
  const listening = async () => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      const { rows } = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'");
      return (rows[0] as { n: number }).n > 0;
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  report(t, await outageRun(t, {
    server: pgServer,
    daemonArgs: ["--backend", "postgres", "--url", url, "--pg-schema", `r2_outage_${process.pid}`],
    feedAttached: listening,
  }));
});

test("R2 redis: stopped for 5 s under load, the daemon fails fast, recovers and loses no event", {
  skip: typeof redisServer === "string" ? redisServer : undefined,
  timeout: 90_000,
}, async (t) => {
  if (typeof redisServer === "string") return;
  const { url } = redisServer;
  const reading = async () => {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on("error", () => undefined);
    try {
      await r.connect();
      const list = (await r.client("LIST")) as string;
      return /\bcmd=xread\b/.test(list);
    } finally {
      r.disconnect();
    }
  };
  report(t, await outageRun(t, {
    server: redisServer,
    daemonArgs: ["--backend", "redis", "--url", url, "--redis-prefix", `r2:${process.pid}:`],
    feedAttached: reading,
  }));
});
