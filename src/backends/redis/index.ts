/**
 * The redis backend (ioredis): a key prefix, atomic writes through one guarded Lua script, the
 * change log as a capped stream. Durability is whatever the server's persistence is configured to
 * give (see docs/redis.md); daemon.health reports those settings.
 */
import type { Backend, BackendOptions, BackendProbe, ReadPorts, Storage, UnitOfWork } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { RedisUnits } from "./storage.js";
import { RedisClient } from "./client.js";
import { RedisChangeLog } from "./changes.js";
import { Keys } from "./keys.js";

export interface RedisOptions extends BackendOptions {
  url: string;
  /** Prefix of every key (default "agentstate:"). */
  prefix?: string;
  /** Hard cap of the change stream (exact, amortized by 1 %; the cap is recorded for since()); time-based retention prunes earlier. */
  streamMaxLen?: number;
}

export class RedisStorage implements Storage {
  readonly name = "redis" as const;
  readonly client: RedisClient;
  readonly keys: Keys;
  readonly changes: RedisChangeLog;
  private readonly units: RedisUnits;
  private opened?: Promise<void>;
  private closed?: Promise<void>;
  private persistence: Record<string, string> = {};

  constructor(readonly opts: RedisOptions) {
    this.client = new RedisClient(opts.url, opts.log);
    this.keys = new Keys(opts.prefix ?? "agentstate:");
    const maxlen = opts.streamMaxLen ?? 1_000_000;
    this.units = new RedisUnits(this.client, this.keys, opts, maxlen);
    this.changes = new RedisChangeLog(this.client, this.keys);
  }

  write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    return this.units.write(fn);
  }

  read<T>(fn: (ports: ReadPorts) => Promise<T>): Promise<T> {
    return fn(this.units.readPorts);
  }

  open(): Promise<void> {
    this.opened ??= (async () => {
      await this.client.connect();
      await this.readPersistence();
    })();
    return this.opened;
  }

  private async readPersistence(): Promise<void> {
    try {
      const info = await this.client.call((r) => r.info("persistence"));
      const pick = (name: string) => /^(\w+):(.*)$/m.exec(info.split("\n").find((l) => l.startsWith(name + ":")) ?? "")?.[2]?.trim();
      const conf = await this.client.call((r) => r.config("GET", "appendfsync")).catch(() => [] as unknown[]);
      this.persistence = {
        aofEnabled: pick("aof_enabled") ?? "unknown",
        appendfsync: Array.isArray(conf) && typeof conf[1] === "string" ? conf[1] : "unknown",
        rdbLastSave: pick("rdb_last_save_time") ?? "unknown",
      };
    } catch {
      this.persistence = { aofEnabled: "unknown" };
    }
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.opened?.catch(() => undefined);
      this.changes.close();
      this.client.close();
    })();
    return this.closed;
  }

  async probe(): Promise<BackendProbe> {
    const t0 = performance.now();
    try {
      await this.client.call((r) => r.ping());
      const warnings = this.persistence.aofEnabled === "0" ? ["redis AOF is off: acknowledged writes since the last snapshot are lost if the server stops"] : undefined;
      return { ok: true, latencyMs: performance.now() - t0, details: { prefix: this.keys.prefix, persistence: this.persistence }, ...(warnings ? { warnings } : {}) };
    } catch (err) {
      const reason = this.client.ready ? (err as Error).message : "redis is unreachable (reconnecting)";
      return { ok: false, latencyMs: performance.now() - t0, error: reason };
    }
  }
}

export class RedisBackend extends CoreBackend implements Backend {
  declare readonly storage: RedisStorage;

  constructor(opts: RedisOptions) {
    const storage = new RedisStorage(opts);
    super(storage, opts);
  }

  get client(): RedisClient {
    return this.storage.client;
  }

  get keys(): Keys {
    return this.storage.keys;
  }
}
