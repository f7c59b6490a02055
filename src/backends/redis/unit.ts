/** One attempt of a redis unit of work: the keys it read (its guards) and the commands it decided on. */
import type { Command, Guard, RedisClient } from "./client.js";

/** One attempt of a unit of work: the keys it read and the commands it decided on. */
export class RedisUnit {
  readonly guards: Guard[] = [];
  readonly commands: Command[] = [];
  private readonly read = new Map<string, string | null>();

  constructor(private readonly client: RedisClient) {}

  /** GETs `key` and makes the unit's commit conditional on it being unchanged. */
  async guarded(key: string): Promise<string | null> {
    this.beforeRead();
    if (this.read.has(key)) return this.read.get(key) as string | null;
    const raw = await this.client.call((r) => r.get(key));
    this.read.set(key, raw);
    this.guards.push({ key, expect: raw });
    return raw;
  }

  /** MGETs `keys`, each guarded as `guarded` would (one round trip). */
  async guardedMany(keys: readonly string[]): Promise<(string | null)[]> {
    this.beforeRead();
    const fresh = [...new Set(keys.filter((k) => !this.read.has(k)))];
    if (fresh.length > 0) {
      const raws = await this.client.call((r) => r.mget(...fresh));
      fresh.forEach((key, i) => {
        this.read.set(key, raws[i]);
        this.guards.push({ key, expect: raws[i] });
      });
    }
    return keys.map((k) => this.read.get(k) as string | null);
  }

  /** Makes the commit conditional on `key` still not existing (the caller found it absent). */
  guardAbsent(key: string): void {
    this.beforeRead();
    if (this.read.has(key)) return;
    this.read.set(key, null);
    this.guards.push({ key, expect: null });
  }

  private beforeRead(): void {
    if (this.commands.length > 0) throw new Error("a unit of work read after it wrote; decide from reads, then write");
  }

  command(...commands: Command[]): void {
    this.commands.push(...commands);
  }
}
