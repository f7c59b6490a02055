// Temporary while the Redis stores of the other domains are written: conversations and changes only.
import { describe } from "node:test";
import { RedisBackend } from "../../src/backends/redis/index.js";
import type { Backend } from "../../src/backends/contract.js";
import { makeSuite } from "../conformance/harness.js";
import { conversationsConformance } from "../conformance/conversations.js";
import { changesConformance } from "../conformance/changes.js";
import { redis } from "../helpers/redis.js";

const suite = makeSuite("redis", async (ctx) => new RedisBackend({ ...ctx, url: (await redis()).url, prefix: `${ctx.isolationKey}:` }) as unknown as Backend, { durable: true });
describe("conformance: redis (conversations, changes)", () => {
  conversationsConformance(suite);
  changesConformance(suite);
});
