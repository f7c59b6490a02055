/**
 * The sqlite backend as the daemon runs it: the whole store on a worker thread (worker.ts), so
 * that better-sqlite3's COMMIT — the fsync — never blocks the event loop. While a batch commits
 * there, requests keep arriving here and queue for the next batch; one fsync covers them all.
 *
 * Every store method is forwarded as a message and answered in order of completion; errors keep
 * their code. The change log is read here, on a read-only connection of this thread, and woken by
 * the worker after each commit; pruning (a write) goes to the worker.
 */
import { Worker } from "node:worker_threads";
import { AgentStateError, type ErrorCode } from "../../domain/errors.js";
import type { Backend, BackendOptions, BackendProbe, ChangeLog } from "../contract.js";
import { SqlChangeLog } from "../sql/changes.js";
import type { SqliteOptions } from "./index.js";
import { SqliteReader } from "./reader.js";

/** Settings the worker can receive (functions stay here). */
export interface WorkerData {
  opts: Pick<SqliteOptions, "origin" | "path" | "retention">;
}

export interface Call {
  id: number;
  /** "" for the backend itself (open, close, probe), else a store ("conversations", …). */
  store: string;
  method: string;
  args: unknown[];
  /** The caller's clock, in ms: every timestamp the call assigns. */
  now: number;
}

type WireError = { agentstate: true; code: ErrorCode; message: string; details?: Record<string, unknown> } | { agentstate: false; message: string; stack?: string; code?: string };

/** One message per turn of the daemon's loop: the calls made during it, in order. */
export type ToWorker = Call[];

export type Reply =
  | { type: "reply"; id: number; ok: true; value: unknown }
  | { type: "reply"; id: number; ok: false; error: WireError }
  | { type: "nudge" }
  | { type: "log"; level: "warn" | "info"; message: string; meta?: Record<string, unknown> }
  | { type: "migration"; migration: { version: number; name: string } };

const STORES = ["conversations", "groups", "jobs", "plans", "history", "changesets", "ledger", "checkpoints", "restore"] as const;
const POLL_MS = 100;

function revive(e: WireError): Error {
  if (e.agentstate) return new AgentStateError(e.code, e.message, e.details);
  const err = new Error(e.message) as Error & { code?: string };
  if (e.code) err.code = e.code;
  if (e.stack) err.stack = e.stack;
  return err;
}

export class SqliteThreadedBackend {
  readonly name = "sqlite" as const;
  readonly changes: ChangeLog;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private outbox: Call[] = [];
  private readonly reader: SqliteReader;
  private readonly log: SqlChangeLog;
  private opened?: Promise<void>;
  private closed?: Promise<void>;
  private exited = false;

  constructor(private readonly opts: SqliteOptions) {
    const plain: WorkerData["opts"] = { origin: opts.origin, path: opts.path, ...(opts.retention ? { retention: opts.retention } : {}) };
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { opts: plain } satisfies WorkerData });
    this.worker.on("message", (batch: Reply[]) => {
      for (const m of batch) this.receive(m);
    });
    this.worker.on("error", (err) => this.failAll(err));
    this.worker.on("exit", () => {
      this.exited = true;
      this.failAll(new AgentStateError("BACKEND_UNAVAILABLE", "the sqlite writer thread stopped"));
    });
    this.reader = new SqliteReader(opts.path);
    this.log = new SqlChangeLog(this.reader, POLL_MS);
    const log = this.log;
    this.changes = {
      since: (cursor, limit) => log.since(cursor, limit),
      head: () => log.head(),
      watch: (listener) => log.watch(listener),
      prune: (before, keep) => this.call("changes", "prune", [before, keep]) as Promise<number>,
    };
    for (const store of STORES) {
      (this as unknown as Record<string, unknown>)[store] = new Proxy(
        {},
        {
          get: (_t, method) => (typeof method === "string" && method !== "then" ? (...args: unknown[]) => this.call(store, method, args) : undefined),
        },
      );
    }
  }

  private receive(m: Reply): void {
    switch (m.type) {
      case "reply": {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(revive(m.error));
        return;
      }
      case "nudge":
        this.log.nudge();
        return;
      case "log":
        this.opts.log?.[m.level](m.message, m.meta);
        return;
      case "migration":
        this.opts.onMigration?.(m.migration);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call(store: string, method: string, args: unknown[]): Promise<unknown> {
    if (this.exited) return Promise.reject(new AgentStateError("BACKEND_UNAVAILABLE", "the sqlite writer thread stopped"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.outbox.length === 0) process.nextTick(() => this.flush());
      this.outbox.push({ id, store, method, args, now: this.opts.now().getTime() });
    });
  }

  /** The calls of this turn, as one message. */
  private flush(): void {
    const calls = this.outbox;
    this.outbox = [];
    if (calls.length > 0) this.worker.postMessage(calls satisfies ToWorker);
  }

  open(): Promise<void> {
    this.opened ??= (this.call("", "open", []) as Promise<void>).then(() => this.reader.open());
    return this.opened;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.opened?.catch(() => undefined);
      this.log.close();
      await (this.call("", "close", []) as Promise<void>).catch(() => undefined);
      // Closed, the worker has nothing left and exits by itself (writing its profile, if any); a stuck one is ended.
      const exited = new Promise<void>((resolve) => (this.exited ? resolve() : this.worker.once("exit", () => resolve())));
      this.worker.unref();
      const timer = setTimeout(() => void this.worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
      await this.reader.close();
    })();
    return this.closed;
  }

  async probe(): Promise<BackendProbe> {
    return (await this.call("", "probe", []).catch((err: unknown) => ({ ok: false, latencyMs: 0, error: (err as Error).message }))) as BackendProbe;
  }
}

/** The stores are the proxies made in the constructor. */
export type SqliteThreaded = SqliteThreadedBackend & Omit<Backend, "name" | "changes" | "open" | "close" | "probe">;

export const createThreadedSqlite = (opts: SqliteOptions & BackendOptions): Backend => new SqliteThreadedBackend(opts) as unknown as SqliteThreaded;
