/**
 * The multi-daemon suite on Redis: one RedisBackend (its own connections and stream reader) per
 * simulated daemon, all under one key prefix, as several hosts sharing a server would be.
 */
import { test } from "node:test";
import { RedisBackend } from "../../src/backends/redis/index.js";
import { redis } from "../helpers/redis.js";
import { describeMultiDaemon, networkedShared } from "./multi.js";

let url: string | undefined;
let reason: string | undefined;
try {
  url = (await redis()).url;
} catch (err) {
  if (process.env.CI === "true") throw err;
  reason = `no redis-server: ${(err as Error).message}`;
}
if (url === undefined) {
  test("several schedulers on one redis backend", (t) => t.skip(reason));
} else {
  const server = url;
  describeMultiDaemon("redis", async (daemons, clock, name) => {
    const prefix = `multi-${name}-${process.pid}:`;
    const backends = Array.from({ length: daemons }, (_, i) => new RedisBackend({ url: server, prefix, origin: `d${i}`, now: clock.date }));
    await Promise.all(backends.map((b) => b.open()));
    return networkedShared(backends);
  });
}
