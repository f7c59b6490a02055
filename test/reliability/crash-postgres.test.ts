/** R1 on postgres: a throwaway server of this test process, a schema of this test. */
import { join } from "node:path";
import { test } from "node:test";
import { startThrowawayPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";
import { crashRounds } from "./crash.js";

const server = await startThrowawayPostgres().catch((err: unknown) => {
  if (process.env.CI === "true") throw err;
  return `no PostgreSQL server: ${(err as Error).message}`;
});
const skip = typeof server === "string" ? server : undefined;

test("R1 postgres: SIGKILL under 8-writer load, 20 rounds, loses no acknowledged write", { skip, timeout: 120_000 }, async (t) => {
  if (typeof server === "string") return;
  const dir = tempDir(t);
  const socket = join(dir, "run", "s.sock");
  const schema = `r1_crash_${process.pid}`;
  const t0 = performance.now();
  const { acked } = await crashRounds({ socket, daemonArgs: ["--socket", socket, "--backend", "postgres", "--url", server.url, "--pg-schema", schema, "--log-level", "warn"] });
  t.diagnostic(`acknowledged appends checked: ${acked} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
