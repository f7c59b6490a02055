/**
 * R9 (SPEC §11): a silent partition between one of three daemons and a shared Postgres, and a shared
 * Redis, for 15 s under load. Each case builds its own lab (test/helpers/netns.ts) and server.
 */
import { test } from "node:test";
import { netLab, netLabUnavailable } from "../helpers/netns.js";
import { pgUrlAt, startThrowawayPostgres } from "../helpers/postgres.js";
import { redisUrlAt, startThrowawayRedis } from "../helpers/redis.js";
import { describeR9, PARTITION_MS, r9Run } from "./partition.js";

const skip = netLabUnavailable();

test(`R9 postgres: one of three daemons partitioned for ${PARTITION_MS / 1000} s under load`, { skip, timeout: 180_000 }, async (t) => {
  const lab = netLab(["ns", "ns", "ns"]);
  t.after(() => lab.close());
  const server = await startThrowawayPostgres({ wrap: lab.server.wrap });
  t.after(() => server.stop?.());
  const schema = `r9_${process.pid}`;
  const report = await r9Run(t, { lab, daemonArgs: (i) => ["--backend", "postgres", "--url", pgUrlAt(server, lab.hosts[i].serverAddress), "--pg-schema", schema] });
  for (const line of describeR9(report).split("\n")) t.diagnostic(line);
});

test(`R9 redis: one of three daemons partitioned for ${PARTITION_MS / 1000} s under load`, { skip, timeout: 180_000 }, async (t) => {
  const lab = netLab(["ns", "ns", "ns"]);
  t.after(() => lab.close());
  const server = await startThrowawayRedis({ wrap: lab.server.wrap });
  t.after(() => server.stop?.());
  const report = await r9Run(t, { lab, daemonArgs: (i) => ["--backend", "redis", "--url", redisUrlAt(server, lab.hosts[i].serverAddress), "--redis-prefix", `r9:${process.pid}:`] });
  for (const line of describeR9(report).split("\n")) t.diagnostic(line);
});
