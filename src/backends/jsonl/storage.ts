/**
 * The jsonl family's storage primitives: the engine's units of work over the in-memory model, the
 * ports that turn writes into file operations, the change log, and the data directory's lifecycle
 * (one daemon per directory, a format check, journal replay at open, a checkpoint at close).
 */
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { backendUnavailable } from "../../domain/errors.js";
import { acquireLock, LockHeldError, type Lock } from "../../lib/lockfile.js";
import type { BackendOptions, BackendProbe, ReadPorts, Storage, UnitOfWork } from "../contract.js";
import { IDEMPOTENCY_KEYS_KEPT } from "../../core/conversations.js";
import { bufferedPort } from "../common/section.js";
import { CHANGESET_WRITES } from "../memory/changesets.js";
import { CONVERSATION_WRITES } from "../memory/conversations.js";
import { LEDGER_WRITES } from "../memory/ledger.js";
import { JsonlChangeLog } from "./changes.js";
import { JsonlChangesetsPort } from "./changesets.js";
import { JsonlConversationsPort } from "./conversations.js";
import { JsonlLedgerPort } from "./ledger.js";
import type { Disk } from "./disk.js";
import type { JsonlDomain } from "./domain.js";
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
  private readonly ports: ReadPorts & { conversations: JsonlConversationsPort; changesets: JsonlChangesetsPort; ledger: JsonlLedgerPort };
  /** Stores that still decide in the backend (transition), opened and closed with it. */
  legacy: JsonlDomain[] = [];
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
      changesets: new JsonlChangesetsPort(vfs, files),
      ledger: new JsonlLedgerPort(vfs, files),
    };
    this.engine.addModel(this.changes);
    this.engine.addModel(this.ports.conversations);
    this.engine.addModel(this.ports.changesets);
    this.engine.addModel(this.ports.ledger);
  }

  write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    return this.engine.unit((ctx) =>
      fn({
        now: ctx.now,
        origin: this.opts.origin,
        conversations: bufferedPort(this.ports.conversations, CONVERSATION_WRITES, ctx.writes),
        changesets: bufferedPort(this.ports.changesets, CHANGESET_WRITES, ctx.writes),
        ledger: bufferedPort(this.ports.ledger, LEDGER_WRITES, ctx.writes),
        change: (c) => ctx.change(c),
      }),
    );
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
    await this.ports.conversations.load();
    await this.ports.changesets.load();
    await this.ports.ledger.load();
    for (const d of this.legacy) await d.load();
    await this.engine.finishOpen(lines);
    for (const d of this.legacy) await d.afterReplay?.();
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
      for (const d of [...this.legacy].reverse()) await d.beforeClose?.();
      if (this.opened) await this.engine.flushAll().catch((err: unknown) => this.opts.log?.warn("jsonl: could not write every file at close; the journal keeps the writes for the next open", { error: String(err) }));
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
    const warnings = [...this.ports.ledger.warnings(), ...this.legacy.flatMap((d) => d.warnings?.() ?? [])];
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
