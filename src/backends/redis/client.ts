/**
 * The Redis connection: fail fast while the server is away (no offline queue, no retry of a command
 * in flight), detect a dead connection on a silent network (a socket that receives nothing for
 * SOCKET_TIMEOUT_MS while a command waits is destroyed, and reconnected in the background), and one
 * generic atomic write: a Lua script that checks the records a write read are unchanged, then applies
 * every command of the write and appends its change entries to the stream, all or nothing.
 *
 * Outcomes of a write: a script that never left the daemon (not connected) is BACKEND_UNAVAILABLE;
 * one that was sent and got no answer (timeout, connection lost) is OUTCOME_UNKNOWN — the server may
 * have run it. A command in flight is never re-sent after a reconnect (autoResendUnfulfilledCommands
 * off), so a write the daemon gave up on cannot be applied behind its back later.
 */
import { Redis, type RedisOptions } from "ioredis";
import { AgentStateError, backendUnavailable, outcomeUnknown } from "../../domain/errors.js";

/** No data for this long while a command waits: the socket is dead (silent partition). */
export const SOCKET_TIMEOUT_MS = 2000;

export const CONNECTION_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  // 0: a connection that closes rejects what was in flight at once instead of holding it for a retry.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 1000,
  socketTimeout: SOCKET_TIMEOUT_MS,
  commandTimeout: SOCKET_TIMEOUT_MS + 500,
  keepAlive: 5000,
  // Attempts at most 500 ms apart, each bounded by connectTimeout: back within ~1.5 s of the network.
  retryStrategy: (times) => Math.min(50 * times, 500),
  lazyConnect: true,
};

const UNREACHABLE = /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|Command timed out|Socket timeout|max retries|MaxRetriesPerRequest|LOADING|MASTERDOWN|connect/i;
/** The command was never written to the socket. */
const NOT_SENT = /Stream isn't writeable/i;

/** Driver errors become AgentStateErrors; a caller never sees driver text. */
export function mapRedisError(err: unknown): unknown {
  if (err instanceof AgentStateError) return err;
  const message = (err as Error).message ?? "";
  const code = (err as { code?: string }).code;
  if (UNREACHABLE.test(message) || code === "ECONNREFUSED") {
    return backendUnavailable("redis is unreachable");
  }
  return err;
}

/** For a write: was it possibly applied? Only if it was sent and its answer was lost. */
function mapWriteError(err: unknown): unknown {
  if (err instanceof AgentStateError) return err;
  const message = (err as Error).message ?? "";
  if (UNREACHABLE.test(message) && !NOT_SENT.test(message) && !/ECONNREFUSED|LOADING|MASTERDOWN/.test(message)) {
    return outcomeUnknown("redis did not answer the write");
  }
  return mapRedisError(err);
}

/** A write's commands: [command, ...args], e.g. ["SET", key, value]. */
export type Command = [string, ...(string | number)[]];

export interface Guard {
  key: string;
  /** The exact value the write read; null when the key must not exist. */
  expect: string | null;
}

/**
 * KEYS: guard keys, then the stream key, then (optional) the meta hash. ARGV: guard count, expected
 * values ("\0" for none), change count, stream MAXLEN, each change's field JSON, then commands as
 * (argc, name, args…)*. Besides Redis commands, `KEEPNEWEST zset hash keep` keeps only the `keep`
 * highest-scored members of a sorted set and drops the others' fields from a hash (a bounded window
 * of keys, e.g. idempotency keys), and `DELIFEQ key value` deletes a key only while it holds value. Returns the new stream ids, or false when a guard failed (the
 * caller re-reads and retries).
 *
 * With the meta hash, the stream is capped exactly and the cap recorded: once it holds more than
 * MAXLEN plus a slack (1 %, at least 100: trimming is amortized), the oldest entries beyond MAXLEN are
 * removed with XTRIM MINID and `prunedThrough` moves to the newest removed id, in the same script, so
 * since() can tell a resuming reader it missed some (R11). Without it: XADD MAXLEN ~ as before.
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
local maxlen = tonumber(ARGV[p]); p = p + 1
local stream = KEYS[nguards + 1]
local meta = KEYS[nguards + 2]
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
  elseif cmd[1] == 'DELIFEQ' then
    -- DELIFEQ key value: deletes key only while it holds value (a slot key held by this run)
    if redis.call('GET', cmd[2]) == cmd[3] then redis.call('DEL', cmd[2]) end
  else
    redis.call(unpack(cmd))
  end
end
local ids = {}
if not meta then
  for i = 1, nchanges do
    ids[i] = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'c', changes[i])
  end
  return ids
end
for i = 1, nchanges do
  ids[i] = redis.call('XADD', stream, '*', 'c', changes[i])
end
local len = redis.call('XLEN', stream)
if len > maxlen + math.max(100, math.floor(maxlen / 100)) then
  local excess = len - maxlen
  local old = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess + 1)
  local last = old[excess][1]
  local function parts(id)
    local ms, seq = string.match(id, '^(%d+)-(%d+)$')
    return tonumber(ms), tonumber(seq)
  end
  local current = redis.call('HGET', meta, 'prunedThrough')
  local later = true
  if current then
    local lm, ls = parts(last)
    local cm, cs = parts(current)
    later = lm > cm or (lm == cm and ls > cs)
  end
  if later then redis.call('HSET', meta, 'prunedThrough', last) end
  redis.call('XTRIM', stream, 'MINID', old[excess + 1][1])
end
return ids
`;

export interface RedisClientLog {
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
}

export class RedisClient {
  readonly redis: Redis;
  private lostAt?: number;

  constructor(url: string, log?: RedisClientLog) {
    this.redis = new Redis(url, CONNECTION_OPTIONS);
    this.redis.on("error", () => undefined); // reconnects by itself; calls fail fast meanwhile
    this.redis.on("close", () => {
      if (this.lostAt !== undefined) return;
      this.lostAt = performance.now();
      log?.warn("redis connection lost; reconnecting");
    });
    this.redis.on("ready", () => {
      if (this.lostAt === undefined) return;
      log?.info("redis connection restored", { downMs: Math.round(performance.now() - this.lostAt) });
      this.lostAt = undefined;
    });
    this.redis.defineCommand("agentstateApply", { lua: APPLY });
  }

  /** True while the connection is up (for health). */
  get ready(): boolean {
    return this.redis.status === "ready";
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
      this.dropIfTimedOut(err);
      throw mapRedisError(err);
    }
  }

  /** A command that got no answer in time: the connection is not trusted again (reconnect). */
  private dropIfTimedOut(err: unknown): void {
    if (/Command timed out/i.test((err as Error).message ?? "") && this.redis.status === "ready") this.redis.disconnect(true);
  }

  /**
   * The atomic write; returns the change cursors, or null when a guard failed. With `meta` (the
   * backend's meta hash) the stream is capped exactly and the cap recorded as `prunedThrough`.
   */
  async apply(stream: string, maxlen: number, guards: Guard[], changes: string[], commands: Command[], meta?: string): Promise<string[] | null> {
    const argv: (string | number)[] = [guards.length, ...guards.map((g) => g.expect ?? "\0"), changes.length, maxlen, ...changes];
    for (const c of commands) argv.push(c.length, ...c);
    const keys = [...guards.map((g) => g.key), stream, ...(meta === undefined ? [] : [meta])];
    // Not connected: refuse before sending, so the caller knows the write did not happen.
    if (this.redis.status !== "ready") throw backendUnavailable("redis is unreachable");
    try {
      // Arrays, not spread arguments: a 10,000-turn ingest has ~120,000 of them (ioredis flattens arrays).
      const r = await (this.redis as unknown as { agentstateApply(n: number, k: string[], a: (string | number)[]): Promise<string[] | null> }).agentstateApply(
        keys.length, keys, argv,
      );
      return r ?? null;
    } catch (err) {
      this.dropIfTimedOut(err);
      throw mapWriteError(err);
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
