/** Types every store shares. */
import type { Change, ChangeInput } from "../../domain/changes.js";

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

/** A page request after defaults were applied above the backend: `limit` is always set (1–1000). */
export interface PageQuery {
  cursor?: string;
  limit: number;
}

export interface BackendOptions {
  /** Names this daemon instance in change records. */
  origin: string;
  /** The clock used for every timestamp the store assigns; tests pass a controllable one. */
  now: () => Date;
  /** Retention and sizing the stores enforce themselves; defaults in STORE_DEFAULTS. */
  retention?: Partial<StoreRetention>;
  /** Where a backend reports what an operator should see (a malformed hand-edited file, a reconnect). */
  log?: BackendLog;
  /** Called before each schema migration a SQL backend runs in open() (progress, systemd timeouts). */
  onMigration?: (migration: { version: number; name: string }) => void;
}

export interface BackendLog {
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
}

export interface StoreRetention {
  /** Shell history keeps the newest N entries. */
  historyEntries: number;
  /** Run history keeps the newest N runs per job. */
  runsPerJob: number;
}

export const STORE_DEFAULTS: StoreRetention = { historyEntries: 10_000, runsPerJob: 200 };

export const retentionOf = (opts: BackendOptions): StoreRetention => ({ ...STORE_DEFAULTS, ...opts.retention });

/**
 * The change log of SPEC §4. Stores append to it inside the same atomic unit as their write; the
 * daemon reads it to fan events out.
 */
export interface ChangeLog {
  /**
   * Changes with a cursor after `cursor` (exclusive), oldest first, at most `limit`.
   * `cursor` undefined means from the oldest retained change.
   * `reset` is true when `cursor` is older than the oldest retained change (some were pruned):
   * the caller missed changes and must reload.
   * Errors: INVALID_PARAMS for a cursor this backend never issued.
   */
  since(cursor: string | undefined, limit: number): Promise<{ changes: Change[]; reset: boolean }>;
  /** The newest cursor, or undefined when the log is empty. */
  head(): Promise<string | undefined>;
  /**
   * Calls `listener` for every change that becomes visible from now on, in cursor order, including
   * changes written by other processes sharing the backend (as far as the backend can see them).
   * Returns an unsubscribe function.
   */
  watch(listener: (change: Change) => void): () => void;
  /**
   * Drop changes older than `before`, keeping at least the newest `keepAtLeast` — and always the
   * newest change, whatever `keepAtLeast` says (it holds the log's position). Returns how many went.
   */
  prune(before: Date, keepAtLeast: number): Promise<number>;
}

export type { Change, ChangeInput };

export type BackendName = "jsonl" | "sqlite" | "postgres" | "redis" | "memory";

export interface BackendProbe {
  ok: boolean;
  latencyMs: number;
  error?: string;
  /** Backend-specific facts for daemon.health (persistence settings, paths, …). */
  details?: Record<string, unknown>;
  /** Problems that do not stop the backend (a malformed hand-edited file); health shows "warn". */
  warnings?: string[];
}
