/**
 * The database servers the bench modules share within one run: one throwaway PostgreSQL and one
 * throwaway redis-server (test/helpers), started on first use and killed when the run exits. Each
 * module isolates itself in its own schema, key prefix or database (`isolationTag`). AGENTSTATE_BENCH_POSTGRES_URL /
 * AGENTSTATE_BENCH_REDIS_URL point the run at existing servers instead.
 */
import pg from "pg";
import { startThrowawayPostgres } from "../test/helpers/postgres.js";
import { startThrowawayRedis } from "../test/helpers/redis.js";

let postgres: Promise<string> | undefined;
let isolations = 0;

/**
 * A name part unique within this bench process, for a schema or key prefix: with --baseline and
 * --rounds the sides and rounds share one server, and an older side refuses a schema a newer one migrated.
 */
export const isolationTag = (): string => `${process.pid}_${++isolations}`;
let redis: Promise<string> | undefined;

/** The URL of this run's Postgres server. */
export function benchPostgres(): Promise<string> {
  postgres ??= process.env.AGENTSTATE_BENCH_POSTGRES_URL
    ? Promise.resolve(process.env.AGENTSTATE_BENCH_POSTGRES_URL)
    : startThrowawayPostgres().then((s) => s.url);
  return postgres;
}

/** The URL of this run's redis server (AOF on, appendfsync always: every acknowledged write is on disk). */
export function benchRedis(): Promise<string> {
  redis ??= process.env.AGENTSTATE_BENCH_REDIS_URL
    ? Promise.resolve(process.env.AGENTSTATE_BENCH_REDIS_URL)
    : startThrowawayRedis().then((s) => s.url);
  return redis;
}

/** A fresh database on this run's Postgres server (for figures that count a database's connections); returns its URL. */
export async function freshPostgresDatabase(name: string): Promise<string> {
  const url = await benchPostgres();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
