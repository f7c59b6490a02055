/**
 * The jsonl backend: a documented, human-readable directory (see docs/jsonl-layout.md), made
 * durable by a group-committed journal. One daemon per data directory (a pid lock).
 */
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { backendUnavailable } from "../../domain/errors.js";
import { acquireLock, LockHeldError, type Lock } from "../../lib/lockfile.js";
import type { Backend, BackendOptions, BackendProbe } from "../contract.js";
import { JsonlChangeLog } from "./changes.js";
import { JsonlConversations } from "./conversations.js";
import { JsonlGroups } from "./groups.js";
import { JsonlJobs } from "./jobs.js";
import { JsonlPlans } from "./plans.js";
import { JsonlHistory } from "./history.js";
import { JsonlChangesets } from "./changesets.js";
import { JsonlLedger } from "./ledger.js";
import type { JsonlDomain } from "./domain.js";
import { Engine } from "./engine.js";

export interface JsonlOptions extends BackendOptions {
  dataDir: string;
}

export const FORMAT = "agentstate-jsonl 1";

export class JsonlBackend implements Backend {
  readonly name = "jsonl" as const;
  readonly engine: Engine;
  readonly changes: JsonlChangeLog;
  readonly conversations: JsonlConversations;
  readonly groups: JsonlGroups;
  readonly jobs: JsonlJobs;
  readonly plans: JsonlPlans;
  readonly history: JsonlHistory;
  readonly changesets: JsonlChangesets;
  readonly ledger: JsonlLedger;
  private lock?: Lock;
  private opened?: Promise<void>;
  private closed?: Promise<void>;

  constructor(private readonly opts: JsonlOptions) {
    this.engine = new Engine(opts.dataDir);
    this.changes = new JsonlChangeLog(this.engine, opts);
    this.conversations = new JsonlConversations(this.engine, opts, this.changes);
    this.groups = new JsonlGroups(this.engine, opts, this.changes);
    this.jobs = new JsonlJobs(this.engine, opts, this.changes);
    this.plans = new JsonlPlans(this.engine, opts, this.changes);
    this.history = new JsonlHistory(this.engine, opts, this.changes);
    this.changesets = new JsonlChangesets(this.engine, opts, this.changes);
    this.ledger = new JsonlLedger(this.engine, opts, this.changes);
  }

  open(): Promise<void> {
    this.opened ??= this.doOpen();
    return this.opened;
  }

  private async doOpen(): Promise<void> {
    const dir = this.opts.dataDir;
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      this.lock = await acquireLock(join(dir, "agentstate.lock"));
    } catch (err) {
      if (err instanceof LockHeldError) throw backendUnavailable(`data directory ${dir} is in use by process ${err.pid}`);
      throw err;
    }
    await this.checkFormat(dir);
    await this.changes.load();
    for (const d of this.domains()) await d.load();
    const txs = await this.engine.journal.open();
    await this.engine.replay(txs);
    await this.engine.journal.checkpoint();
    for (const d of this.domains()) await d.afterReplay?.();
  }

  private domains(): JsonlDomain[] {
    return [this.conversations, this.groups, this.jobs, this.plans, this.history, this.changesets, this.ledger];
  }

  private async checkFormat(dir: string): Promise<void> {
    const path = join(dir, "FORMAT");
    const found = await fs.readFile(path, "utf8").catch(() => undefined);
    if (found === undefined) await fs.writeFile(path, FORMAT + "\n", { mode: 0o600 });
    else if (found.trim() !== FORMAT) throw new Error(`${dir} holds "${found.trim()}", not "${FORMAT}"; refusing to open it`);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.opened?.catch(() => undefined);
      for (const d of this.domains().reverse()) await d.beforeClose?.();
      await this.engine.journal.close();
      await this.engine.io.close();
      await this.lock?.release();
    })();
    return this.closed;
  }

  async probe(): Promise<BackendProbe> {
    const t0 = performance.now();
    const ok = this.engine.journal.healthy;
    const warnings = this.domains().flatMap((d) => d.warnings?.() ?? []);
    return {
      ok,
      ...(warnings.length > 0 ? { warnings } : {}),
      latencyMs: performance.now() - t0,
      ...(ok ? {} : { error: "journal write failed; restart the daemon" }),
      details: { dataDir: this.opts.dataDir, journalSyncs: this.engine.journal.syncs, journalCommits: this.engine.journal.commits },
    };
  }
}
