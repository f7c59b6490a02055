/** Every backend for the import tests that run through a daemon: throwaway postgres and redis servers, one schema or prefix per test. */
import type { Backend, BackendName } from "../../src/backends/contract.js";
import { createBackend } from "../../src/backends/index.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";

export const BACKENDS: BackendName[] = ["memory", "jsonl", "sqlite", "postgres", "redis"];

/** Why `name` cannot run here, or undefined. Under CI=true a missing server is an error, never a skip. */
export async function unavailable(name: BackendName): Promise<string | undefined> {
  if (name === "postgres") return postgresUnavailable();
  if (name !== "redis") return undefined;
  try {
    await redis();
    return undefined;
  } catch (err) {
    if (process.env.CI === "true") throw err;
    return `no redis-server: ${(err as Error).message}`;
  }
}

let n = 0;

/** A fresh store of `name`; `tag` names its postgres schema and redis prefix (unique per call). */
export async function openStore(name: BackendName, dataDir: string, tag: string): Promise<Backend> {
  const unique = `${tag}_${process.pid}_${Date.now().toString(36)}_${n++}`;
  const url = name === "postgres" ? (await postgres()).url : name === "redis" ? (await redis()).url : undefined;
  return createBackend({ name, dataDir, url, pgSchema: unique, redisPrefix: `${unique}:`, origin: "migrate-test", now: () => new Date() });
}
