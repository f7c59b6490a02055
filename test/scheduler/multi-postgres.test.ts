/**
 * The multi-daemon suite on Postgres: one PostgresBackend (its own pool and LISTEN connection) per
 * simulated daemon, all on one schema, as several hosts sharing a server would be.
 */
import { test } from "node:test";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { describeMultiDaemon, networkedShared } from "./multi.js";

const reason = await postgresUnavailable();
if (reason !== undefined) {
  test("several schedulers on one postgres backend", (t) => t.skip(reason));
} else {
  const { url } = await postgres();
  describeMultiDaemon("postgres", async (daemons, clock, name) => {
    const schema = `multi_${name}_${process.pid}`;
    const backends = Array.from({ length: daemons }, (_, i) => new PostgresBackend({ url, schema, origin: `d${i}`, now: clock.date, poolSize: 10 }));
    for (const b of backends) await b.open(); // one after another: the first migrates the schema
    return networkedShared(backends);
  });
}
