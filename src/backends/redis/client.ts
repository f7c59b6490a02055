/**
 * The Redis connection: fail fast while the server is away (no offline queue, one try per command,
 * a command timeout), reconnect by itself in the background, and one generic atomic write: a Lua
 * script that checks the records a write read are unchanged, then applies every command of the
 * write and appends its change entries to the stream, all or nothing.
 */
import { Redis, type RedisOptions } from "ioredis";
import { AgentStateError, backendUnavailable } from "../../domain/errors.js";

export const CONNECTION_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  commandTimeout: 5000,
  retryStrategy: (times) => Math.min(50 * times, 1000),
  lazyConnect: true,
};

/** Driver errors become AgentStateErrors; a caller never sees driver text. */
export function mapRedisError(err: unknown): unknown {
  if (err instanceof AgentStateError) return err;
  const message = (err as Error).message ?? "";
  const code = (err as { code?: string }).code;
  if (/Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|Command timed out|ETIMEDOUT|max retries|LOADING|MASTERDOWN|connect/i.test(message) || code === "ECONNREFUSED") {
    return backendUnavailable("redis is unreachable");
  }
  return err;
}

/** A write's commands: [command, ...args], e.g. ["SET", key, value]. */
export type Command = [string, ...(string | number)[]];

export interface Guard {
  key: string;
  /** The exact value the write read; null when the key must not exist. */
  expect: string | null;
}

/**
 * KEYS: guard keys, then the stream key. ARGV: guard count, expected values ("\0" for none), change
 * count, stream MAXLEN, each change's field JSON, then commands as (argc, name, args…)*. Besides Redis
 * commands, `KEEPNEWEST zset hash keep` keeps only the `keep` highest-scored members of a sorted set
 * and drops the others' fields from a hash (a bounded window of keys, e.g. idempotency keys).
 * Returns the new stream ids, or false when a guard failed (the caller re-reads and retries).
 */
const APPLY = `
local nguards = tonumber(ARGV[1])
for i = 1, nguards do
  local v = redis.call('GET', KEYS[i])
  local want = ARGV[1 + i]
  if want == '\\0' then
    if v then return false end
  elseif v ~= want then
    return false
  end
end
local p = 2 + nguards
local nchanges = tonumber(ARGV[p]); p = p + 1
local maxlen = ARGV[p]; p = p + 1
local stream = KEYS[nguards + 1]
local changes = {}
for i = 1, nchanges do changes[i] = ARGV[p]; p = p + 1 end
while p <= #ARGV do
  local argc = tonumber(ARGV[p]); p = p + 1
  local cmd = {}
  for j = 1, argc do cmd[j] = ARGV[p]; p = p + 1 end
  if cmd[1] == 'KEEPNEWEST' then
    -- KEEPNEWEST zset hash keep: all but the keep highest-scored members leave the zset and the hash
    local n = redis.call('ZCARD', cmd[2])
    local keep = tonumber(cmd[4])
    if n > keep then
      local old = redis.call('ZRANGE', cmd[2], 0, n - keep - 1)
      redis.call('ZREMRANGEBYRANK', cmd[2], 0, n - keep - 1)
      for _, m in ipairs(old) do redis.call('HDEL', cmd[3], m) end
    end
  else
    redis.call(unpack(cmd))
  end
end
local ids = {}
for i = 1, nchanges do
  ids[i] = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'c', changes[i])
end
return ids
`;

export class RedisClient {
  readonly redis: Redis;

  constructor(url: string) {
    this.redis = new Redis(url, CONNECTION_OPTIONS);
    this.redis.on("error", () => undefined); // reconnects by itself; calls fail fast meanwhile
    this.redis.defineCommand("agentstateApply", { lua: APPLY });
  }

  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      throw mapRedisError(err);
    }
  }

  /** Runs a read command, mapping errors. */
  async call<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
    try {
      return await fn(this.redis);
    } catch (err) {
      throw mapRedisError(err);
    }
  }

  /** The atomic write; returns the change cursors, or null when a guard failed. */
  async apply(stream: string, maxlen: number, guards: Guard[], changes: string[], commands: Command[]): Promise<string[] | null> {
    const argv: (string | number)[] = [guards.length, ...guards.map((g) => g.expect ?? "\0"), changes.length, maxlen, ...changes];
    for (const c of commands) argv.push(c.length, ...c);
    const keys = [...guards.map((g) => g.key), stream];
    try {
      // Arrays, not spread arguments: a 10,000-turn ingest has ~120,000 of them (ioredis flattens arrays).
      const r = await (this.redis as unknown as { agentstateApply(n: number, k: string[], a: (string | number)[]): Promise<string[] | null> }).agentstateApply(
        keys.length, keys, argv,
      );
      return r ?? null;
    } catch (err) {
      throw mapRedisError(err);
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
