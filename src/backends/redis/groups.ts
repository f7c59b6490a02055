/** groups on Redis: to be written (see conversations.ts for the pattern). */
import type { BackendOptions } from "../contract.js";
import type { RedisClient } from "./client.js";
import type { Keys } from "./keys.js";
import type { Writer } from "./write.js";

export class RedisGroups {
  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {}
}
