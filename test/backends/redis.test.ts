import { RedisBackend } from "../../src/backends/redis/index.js";
import { describeBackend } from "../conformance/index.js";
import { redis } from "../helpers/redis.js";

// A throwaway redis-server (AOF, appendfsync always) per test process; one key prefix per test.
describeBackend("redis", async (ctx) => new RedisBackend({ ...ctx, url: (await redis()).url, prefix: `${ctx.isolationKey}:` }), { durable: true, shared: true });
