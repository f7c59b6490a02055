/** What every redis port shares: plain reads outside a unit of work, guarded reads and buffered writes inside one. */
import type { RedisClient } from "./client.js";
import type { Keys } from "./keys.js";
import type { RedisUnit } from "./unit.js";

export abstract class RedisPort {
  /** `unit` is undefined for plain reads, which guard nothing and write nothing. */
  constructor(
    protected readonly client: RedisClient,
    protected readonly k: Keys,
    protected readonly unit?: RedisUnit,
  ) {}

  protected get writes(): RedisUnit {
    if (!this.unit) throw new Error("a write through a read-only redis port");
    return this.unit;
  }

  /** GET, guarded inside a unit of work. */
  protected get(key: string): Promise<string | null> {
    return this.unit ? this.unit.guarded(key) : this.client.call((r) => r.get(key));
  }

  /** MGET, each key guarded inside a unit of work. */
  protected mget(keys: string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.unit ? this.unit.guardedMany(keys) : this.client.call((r) => r.mget(...keys));
  }
}
