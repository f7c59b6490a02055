/**
 * The redis backend (ioredis): a key prefix, atomic writes through one guarded Lua script, the
 * change log as a capped stream. Durability is whatever the server's persistence is configured to
 * give (see docs/redis.md); daemon.health reports those settings.
 */
import type { Backend, BackendOptions, BackendProbe } from "../contract.js";
import { RedisClient } from "./client.js";
import { RedisChangeLog } from "./changes.js";
import { RedisConversations } from "./conversations.js";
import { Keys } from "./keys.js";
import { Writer } from "./write.js";
import { RedisChangesets } from "./changesets.js";
import { RedisGroups } from "./groups.js";
import { RedisHistory } from "./history.js";
import { RedisJobs } from "./jobs.js";
import { RedisLedger } from "./ledger.js";
import { RedisPlans } from "./plans.js";

export interface RedisOptions extends BackendOptions {
  url: string;
  /** Prefix of every key (default "agentstate:"). */
  prefix?: string;
  /** Hard cap of the change stream (exact, amortized by 1 %; the cap is recorded for since()); time-based retention prunes earlier. */
  streamMaxLen?: number;
}

export class RedisBackend implements Backend {
  readonly name = "redis" as const;
  readonly client: RedisClient;
  readonly keys: Keys;
  readonly changes: RedisChangeLog;
  readonly conversations: RedisConversations;
  readonly groups: RedisGroups;
  readonly jobs: RedisJobs;
  readonly plans: RedisPlans;
  readonly history: RedisHistory;
  readonly changesets: RedisChangesets;
  readonly ledger: RedisLedger;
  private opened?: Promise<void>;
  private closed?: Promise<void>;
  private persistence: Record<string, string> = {};

  constructor(readonly opts: RedisOptions) {
    this.client = new RedisClient(opts.url, opts.log);
    this.keys = new Keys(opts.prefix ?? "agentstate:");
    const writer = new Writer(this.client, opts, this.keys.changes, opts.streamMaxLen ?? 1_000_000, this.keys.meta);
    this.changes = new RedisChangeLog(this.client, this.keys);
    this.conversations = new RedisConversations(this.client, this.keys, writer, opts);
    this.groups = new RedisGroups(this.client, this.keys, writer, opts);
    this.jobs = new RedisJobs(this.client, this.keys, writer, opts);
    this.plans = new RedisPlans(this.client, this.keys, writer, opts);
    this.history = new RedisHistory(this.client, this.keys, writer, opts);
    this.changesets = new RedisChangesets(this.client, this.keys, writer, opts);
    this.ledger = new RedisLedger(this.client, this.keys, writer, opts);
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
