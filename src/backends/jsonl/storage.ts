/**
 * The jsonl family's storage primitives: the engine's units of work over the in-memory model, the
 * ports that turn writes into file operations, the change log, and the data directory's lifecycle
 * (one daemon per directory, a format check, journal replay at open, a checkpoint at close).
 */
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { backendUnavailable, AgentStateError } from "../../domain/errors.js";
import { acquireLock, LockHeldError, type Lock } from "../../lib/lockfile.js";
import type { BackendOptions, BackendProbe, ReadPorts, Storage, UnitOfWork } from "../contract.js";
import { IDEMPOTENCY_KEYS_KEPT } from "../../core/conversations.js";
import { HISTORY_KEYS_KEPT } from "../../core/history-entries.js";
import { bufferedPort } from "../common/section.js";
import { CHANGESET_WRITES } from "../memory/changesets.js";
import { CHECKPOINT_WRITES } from "../memory/checkpoints.js";
import { CONVERSATION_WRITES } from "../memory/conversations.js";
import { GROUP_WRITES } from "../memory/groups.js";
import { HISTORY_WRITES } from "../memory/history.js";
import { JOB_WRITES } from "../memory/jobs.js";
import { LEDGER_WRITES } from "../memory/ledger.js";
import { PLAN_WRITES } from "../memory/plans.js";
import { JsonlChangeLog } from "./changes.js";
import { JsonlChangesetsPort } from "./changesets.js";
import { JsonlCheckpointsPort } from "./checkpoints.js";
import { JsonlConversationsPort } from "./conversations.js";
import { JsonlGroupsPort } from "./groups.js";
import { JsonlHistoryPort } from "./history.js";
import { JsonlJobsPort } from "./jobs.js";
import { JsonlLedgerPort } from "./ledger.js";
import { JsonlPlansPort } from "./plans.js";
import type { Disk } from "./disk.js";
import { Engine } from "./engine.js";

export interface JsonlOptions extends BackendOptions {
  dataDir: string;
  /** The system calls to make (tests inject failures); default: the real file system. */
  disk?: Disk;
}

export const FORMAT = "agentstate-jsonl 1";

export class JsonlStorage implements Storage {
  readonly name = "jsonl" as const;
  readonly engine: Engine;
  readonly changes: JsonlChangeLog;
  readonly ports: ReadPorts & {
    conversations: JsonlConversationsPort;
    jobs: JsonlJobsPort;
    groups: JsonlGroupsPort;
    plans: JsonlPlansPort;
    history: JsonlHistoryPort;
    checkpoints: JsonlCheckpointsPort;
    changesets: JsonlChangesetsPort;
    ledger: JsonlLedgerPort;
  };
  private lock?: Lock;
  private opened?: Promise<void>;
  private closed?: Promise<void>;

  constructor(private readonly opts: JsonlOptions) {
    this.engine = new Engine(opts.dataDir, opts.now, opts.disk, opts.log);
    this.changes = new JsonlChangeLog(this.engine, opts);
    this.engine.setChangeSink(this.changes);
    const { vfs, files } = this.engine;
    this.ports = {
      conversations: new JsonlConversationsPort(vfs, files, IDEMPOTENCY_KEYS_KEPT),
      jobs: new JsonlJobsPort(vfs, files, opts.log),
      groups: new JsonlGroupsPort(vfs, files),
      plans: new JsonlPlansPort(vfs, files, opts.log),
      history: new JsonlHistoryPort(vfs, files, HISTORY_KEYS_KEPT),
      checkpoints: new JsonlCheckpointsPort(vfs, files),
      changesets: new JsonlChangesetsPort(vfs, files),
      ledger: new JsonlLedgerPort(vfs, files),
    };
    this.engine.addModel(this.changes);
    for (const model of Object.values(this.ports)) this.engine.addModel(model);
  }

  async write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const result = await this.engine.unit((ctx) =>
      fn({
        now: ctx.now,
        origin: this.opts.origin,
        conversations: bufferedPort(this.ports.conversations, CONVERSATION_WRITES, ctx.writes),
        jobs: bufferedPort(this.ports.jobs, JOB_WRITES, ctx.writes),
        groups: bufferedPort(this.ports.groups, GROUP_WRITES, ctx.writes),
        plans: bufferedPort(this.ports.plans, PLAN_WRITES, ctx.writes),
        history: bufferedPort(this.ports.history, HISTORY_WRITES, ctx.writes),
        checkpoints: bufferedPort(this.ports.checkpoints, CHECKPOINT_WRITES, ctx.writes),
        changesets: bufferedPort(this.ports.changesets, CHANGESET_WRITES, ctx.writes),
        ledger: bufferedPort(this.ports.ledger, LEDGER_WRITES, ctx.writes),
        change: (c) => ctx.change(c),
      }),
    );
    if (this.ports.history.compactionDue) await this.compactHistory();
    return result;
  }

  /** Rewrites history.jsonl without the lines retention dropped, as a unit of its own. Never fails the caller. */
  private async compactHistory(): Promise<void> {
    try {
      await this.engine.unit(async (ctx) => {
        const write = await this.ports.history.compact();
        if (write) ctx.writes.push(write);
      });
    } catch (err) {
      this.opts.log?.warn("jsonl history: rewriting history.jsonl failed; it is tried again after the next append", { error: String(err) });
    }
  }

  read<T>(fn: (ports: ReadPorts) => Promise<T>): Promise<T> {
    return this.engine.read(() => fn(this.ports));
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
    const lines = await this.engine.openJournal();
    await this.changes.load();
    for (const model of Object.values(this.ports)) await model.load();
    await this.engine.finishOpen(lines);
    await this.ports.plans.start();
  }

  private async checkFormat(dir: string): Promise<void> {
    const path = join(dir, "FORMAT");
    const found = await fs.readFile(path, "utf8").catch(() => undefined);
    if (found === undefined) await fs.writeFile(path, FORMAT + "\n", { mode: 0o600 });
    else if (found.trim() !== FORMAT) throw new AgentStateError("UNSUPPORTED", `${dir} holds "${found.trim()}", not "${FORMAT}"; refusing to open it`);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      // A failed open (a refused journal, a foreign directory) leaves everything as it found it:
      // flushing would retire journal lines this version never applied.
      const openedOk = this.opened !== undefined && (await this.opened.then(() => true, () => false));
      await this.ports.plans.stop();
      if (openedOk) await this.engine.flushAll().catch((err: unknown) => this.opts.log?.warn("jsonl: could not write every file at close; the journal keeps the writes for the next open", { error: String(err) }));
      await this.engine.close();
      await this.lock?.release();
    })();
    return this.closed;
  }

  async probe(): Promise<BackendProbe> {
    const t0 = performance.now();
    const e = this.engine;
    const writable = await e.probeWrites();
    const refused = e.writeError ?? e.journal.failure;
    const warnings = [...this.ports.jobs.edits.warnings(), ...this.ports.plans.warnings(), ...this.ports.ledger.warnings()];
    if (e.lagError) warnings.push(`files are behind the journal: ${e.lagError.message}`);
    const code = refused && "code" in refused ? String(refused.code) : undefined;
    return {
      ok: writable,
      ...(writable ? {} : { error: `writes are refused: ${code === "ENOSPC" || code === "EDQUOT" ? "the disk is full" : "the journal cannot be written"} (${code ?? refused?.message ?? "unknown"})` }),
      ...(warnings.length > 0 ? { warnings } : {}),
      latencyMs: performance.now() - t0,
      details: { dataDir: this.opts.dataDir, journalSyncs: e.journal.syncs, journalCommits: e.journal.commits, queuedFileBytes: e.vfs.queuedBytes },
    };
  }
}
