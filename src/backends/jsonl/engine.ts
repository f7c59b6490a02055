/**
 * The jsonl engine: units of work over an in-memory model, made durable by the journal.
 *
 * A unit runs alone in a serial section and reads the model; its writes are held until it returns,
 * then applied to the model together with the file operations that persist them (vfs.ts), and its
 * journal line is queued. The section is free again at once — the next unit decides while this
 * one's line is being synced with others (group commit). The unit is answered when its line is
 * durable. Memory follows durability in what anyone can observe: a unit that wrote nothing, and
 * every plain read, is answered only once every line it might have seen is durable; if one of those
 * failed, it runs again on the model as it was after the last durable line.
 *
 * When a journal write fails, every unit not yet durable is answered BACKEND_UNAVAILABLE (nothing
 * of it is stored, anywhere), the file operations they queued are dropped, the model is reloaded
 * from the files and the durable operations, and the journal is cut back to its last durable line;
 * writes resume as soon as that succeeds, without a restart.
 */
import { join } from "node:path";
import type { Change, ChangeInput } from "../../domain/changes.js";
import { backendUnavailable } from "../../domain/errors.js";
import type { BackendLog } from "../contract.js";
import { SerialSection, WriteSet } from "../common/section.js";
import { Applier } from "./applier.js";
import { nodeDisk, type Disk } from "./disk.js";
import { Journal, type JournalLine } from "./journal.js";
import { replayOps } from "./replay.js";
import { Vfs, type FileOp } from "./vfs.js";

/** What a port needs while its writes are applied: where to put the file operations. */
export interface Files {
  /** Returns the byte offset the text starts at. */
  append(path: string, text: string): number;
  cut(path: string, size: number): void;
  replace(path: string, text: string): void;
  remove(path: string): void;
  /**
   * Journals a replacement of `path` by `text` that the file already holds (a person wrote it):
   * replay after a crash restores it, but nothing is written now, so a later edit or deletion by
   * that person is never overwritten by it.
   */
  adopt(path: string, text: string): void;
}

/** A part of the model (one domain's port, the change log) that can be rebuilt from the files. */
export interface Model {
  /** Clears what it holds and reads it again through the vfs (files plus durable operations). */
  load(): Promise<void>;
}

/** Records committed changes; the change log implements it. */
export interface ChangeSink {
  commit(changes: readonly ChangeInput[], at: string, j: number, files: Files): Change[];
  /** Lines up to `j` are durable. */
  durable(j: number): void;
}

const APPLY_DELAY_MS = 20;
/** How long applyNow waits before trying again a file a read has open. */
const READER_WAIT_MS = 5;
const PROBE_BYTES = 64 * 1024;
const APPLY_NOW_BYTES = 4 * 1024 * 1024;
const ROTATE_BYTES = 16 * 1024 * 1024;
const RETRY_MS = [100, 200, 500, 1000];

const unreloaded = () => backendUnavailable("the jsonl model could not be reloaded after a failed write; restart the daemon to recover");

export interface UnitContext {
  /** The unit's one timestamp. */
  readonly now: string;
  /** File operations of this unit go here (valid only while its writes are applied). */
  readonly files: Files;
  readonly writes: WriteSet;
  change(c: ChangeInput): void;
}

export class Engine {
  readonly vfs: Vfs;
  readonly applier: Applier;
  readonly journal: Journal;
  private readonly section = new SerialSection();
  private readonly models: Model[] = [];
  private changeSink?: ChangeSink;
  private current?: { j: number; ops: FileOp[] };
  readonly files: Files;
  private recovering?: Promise<void>;
  /** A reload a failed write asked for and no one has run yet (failed, reloadIfPending). */
  private reloadPending?: { lastDurable: number; done: () => void };
  /** Counts journal failures: a read or unit that saw the model before one must run again. */
  private epoch = 0;
  private applyTimer?: NodeJS.Timeout;
  private applying?: Promise<void>;
  private applyFailures = 0;
  /** The last problem writing files or retiring the journal; cleared by the next success. */
  lagError?: Error;
  /** Why the last journal write failed, until one succeeds (health shows writes as refused meanwhile). */
  writeError?: Error;
  private checkpointing?: Promise<void>;
  private checkpointFailures = 0;
  private checkpointRetryAt = 0;
  private closed = false;
  /** The model could not be rebuilt after a failed write: nothing can be trusted until a restart. */
  private broken = false;

  constructor(
    readonly dir: string,
    private readonly now: () => Date,
    readonly disk: Disk = nodeDisk,
    private readonly log?: BackendLog,
  ) {
    this.vfs = new Vfs(dir, disk);
    this.applier = new Applier(this.vfs);
    this.journal = new Journal(disk, (name) => join(dir, name));
    this.journal.onDurable = (j) => this.durable(j);
    this.journal.onFailure = (lastDurable, err) => this.failed(lastDurable, err);
    const op = <A extends unknown[]>(f: (j: number, ...a: A) => FileOp) => (...a: A): void => {
      const cur = this.current;
      if (!cur) throw new Error("jsonl engine: a file operation outside a unit's commit");
      cur.ops.push(f(cur.j, ...a));
    };
    this.files = {
      append: (path, text) => {
        const cur = this.current;
        if (!cur) throw new Error("jsonl engine: a file operation outside a unit's commit");
        const o = this.vfs.append(path, text, cur.j);
        cur.ops.push(o);
        return (o as { o: number }).o;
      },
      cut: op((j, path: string, size: number) => this.vfs.cut(path, size, j)),
      replace: op((j, path: string, text: string) => this.vfs.replace(path, text, j)),
      remove: op((j, path: string) => this.vfs.remove(path, j)),
      adopt: op((_j, path: string, text: string): FileOp => ({ t: "r", p: path, d: text })),
    };
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  addModel(model: Model): void {
    this.models.push(model);
  }

  setChangeSink(sink: ChangeSink): void {
    this.changeSink = sink;
  }

  // ---- units of work ----

  /**
   * Runs `fn` as a unit of work (see the file comment). `fn` gets the unit's context: its write set,
   * where changes go; ports it builds from them queue their writes on the write set.
   */
  async unit<T>(fn: (ctx: UnitContext) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { result, wait, wrote } = await this.section.run(() => this.decide(fn));
      try {
        await this.journal.durable(wait);
        return result;
      } catch (err) {
        if (wrote || attempt > 0) throw err;
        while (this.recovering) await this.recovering; // it saw a write that failed: run again on the reloaded model
      }
    }
  }

  private async decide<T>(fn: (ctx: UnitContext) => Promise<T>): Promise<{ result: T; wait: number; wrote: boolean }> {
    await this.writable();
    const epoch = this.epoch;
    const writes = new WriteSet();
    const changes: ChangeInput[] = [];
    const at = this.now().toISOString();
    const result = await fn({ now: at, files: this.files, writes, change: (c) => writes.push(() => changes.push(c)) });
    if (writes.size === 0) return { result, wait: this.observed(epoch), wrote: false };
    // A write failed while fn ran (the epoch moved): fn may have read what the reload takes back,
    // even if the journal has recovered meanwhile (health's probe, the retry timer).
    if (epoch !== this.epoch || this.reloadPending || this.journal.failure || this.broken) throw this.journal.unavailable();
    const j = this.journal.reserve();
    this.current = { j, ops: [] };
    try {
      writes.apply();
      this.changeSink?.commit(changes, at, j, this.files);
    } catch (err) {
      // The model may be half-changed: treat it like a failed write (reload, nothing acknowledged).
      this.current = undefined;
      this.journal.abandon(err);
      throw err;
    }
    const line: Omit<JournalLine, "j"> = { w: this.current.ops };
    this.current = undefined;
    this.journal.submit(j, line);
    return { result, wait: j, wrote: true };
  }

  /** A plain read: answered once every line it might have seen is durable. */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      while (this.recovering) await this.recovering;
      if (this.broken) throw unreloaded();
      const epoch = this.epoch;
      const result = await fn();
      try {
        await this.journal.durable(this.observed(epoch));
        return result;
      } catch (err) {
        if (attempt > 0) throw err;
      }
    }
  }

  /**
   * The newest line whose effects a read that began in `epoch` may have seen: the last queued one;
   * but if a write failed since, -1 (never durable: the read saw what the reload took back and must
   * run again), and if the last queued line is one that failed before the read began, the last
   * durable one (the reload had taken it back already).
   */
  private observed(epoch: number): number {
    if (epoch !== this.epoch) return -1;
    const q = this.journal.queuedJ;
    return this.journal.hasFailed(q) ? this.journal.durableJ : q;
  }

  /**
   * Inside the section: reloads the model first if a failed write left it to reload (see failed);
   * then fails fast while the journal cannot be written.
   */
  private async writable(): Promise<void> {
    while (this.reloadPending) await this.reloadIfPending(); // another failure may come while one runs
    if (this.broken) throw unreloaded();
    if (this.journal.failure && !(await this.journal.recover())) throw this.journal.unavailable();
  }

  /**
   * A journal write failed: the model is reloaded from the files before the next unit decides. The
   * reload runs inside the section, by whichever comes first: the task queued here, or a unit
   * already queued before it (its writable() runs it). A unit must never wait for the queued task:
   * that task waits for the unit to leave the section. Reads and retries, outside the section,
   * wait for `recovering`.
   */
  private failed(lastDurable: number, err: Error): void {
    this.epoch++;
    this.writeError = err;
    this.log?.warn("jsonl journal write failed; unanswered writes fail and the model is reloaded from the files", { error: err.message, code: (err as NodeJS.ErrnoException).code });
    if (this.reloadPending) {
      this.reloadPending.lastDurable = Math.min(this.reloadPending.lastDurable, lastDurable);
      return;
    }
    let done!: () => void;
    const reloaded = new Promise<void>((resolve) => (done = resolve));
    this.reloadPending = { lastDurable, done };
    const recovering: Promise<void> = reloaded.finally(() => {
      if (this.recovering === recovering) this.recovering = undefined;
    });
    this.recovering = recovering;
    void this.section.run(() => this.reloadIfPending());
  }

  /** Inside the section: the reload a failed write asked for, if it has not run yet. */
  private async reloadIfPending(): Promise<void> {
    const pending = this.reloadPending;
    if (!pending) return;
    this.reloadPending = undefined;
    try {
      this.vfs.discardAfter(pending.lastDurable);
      for (const m of this.models) await m.load();
      this.retryRecover(0);
    } catch (e) {
      this.broken = true;
      this.log?.warn("jsonl model could not be reloaded after a failed write; restart the daemon", { error: String(e) });
    } finally {
      pending.done();
    }
  }

  /** Cuts the journal back in the background until it holds (disk space returned, EIO gone). */
  private retryRecover(attempt: number): void {
    if (this.closed || !this.journal.failure) return;
    const t = setTimeout(() => {
      void this.journal.recover().then((ok) => {
        if (ok) this.log?.info("jsonl journal writable again");
        else this.retryRecover(attempt + 1);
      });
    }, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
    t.unref();
  }

  /**
   * Whether writes would be accepted now: after a failed journal write, a write of PROBE_BYTES at
   * the journal's end (synced, then cut off again) — so health recovers when the disk has room again
   * even if no client writes meanwhile, and not while only a few bytes fit.
   */
  async probeWrites(): Promise<boolean> {
    if (!this.writeError) return true;
    if (!(await this.journal.recover(PROBE_BYTES))) return false;
    this.writeError = undefined;
    return true;
  }

  // ---- after durability: files, checkpoints ----

  private durable(j: number): void {
    this.writeError = undefined;
    this.changeSink?.durable(j);
    this.scheduleApply();
    // Due when the journal is long, or when a failed checkpoint left the old segment (or the
    // journal would grow until close); after a failure, not before a pause that grows each time.
    const due = this.journal.hasOld || this.journal.size >= ROTATE_BYTES;
    if (due && !this.checkpointing && Date.now() >= this.checkpointRetryAt) this.checkpoint().catch(() => undefined);
  }

  private scheduleApply(): void {
    if (this.applyTimer || this.applying) return;
    const delay = this.vfs.queuedBytes >= APPLY_NOW_BYTES ? 0 : this.applyFailures > 0 ? RETRY_MS[Math.min(this.applyFailures - 1, RETRY_MS.length - 1)] : APPLY_DELAY_MS;
    this.applyTimer = setTimeout(() => {
      this.applyTimer = undefined;
      void this.applyPass();
    }, delay);
    this.applyTimer.unref();
  }

  /**
   * Writes every file operation durable at the time of the call to the files; resolves when they
   * are written (or the attempt failed: lagError). A pass already running may have started before
   * the last lines were durable, so it is followed by another.
   */
  async applyNow(): Promise<void> {
    const target = this.journal.durableJ;
    await this.applyPass();
    while (this.applier.appliedJ < target && !this.lagError && !this.closed) {
      // A pass left a file for later because a read has it open: give the read time to finish
      // (a pass that touches nothing else never yields to the event loop by itself).
      await new Promise((resolve) => setTimeout(resolve, READER_WAIT_MS));
      await this.applyPass();
    }
  }

  private applyPass(): Promise<void> {
    this.applying ??= (async () => {
      try {
        await this.applier.apply(this.journal.durableJ);
        if (this.applyFailures > 0) this.log?.info("jsonl files are up to date again");
        this.applyFailures = 0;
        this.lagError = undefined;
      } catch (err) {
        this.applyFailures++;
        this.lagError = err as Error;
        if (this.applyFailures === 1) this.log?.warn("jsonl files could not be brought up to date; the journal keeps the writes and it is tried again", { error: String(err) });
      }
    })().finally(() => {
      this.applying = undefined;
      if (this.vfs.queuedBytes > 0 || this.applier.appliedJ < this.journal.durableJ) this.scheduleApply();
    });
    return this.applying;
  }

  /**
   * Retires the journal's lines once the files hold them durably: rotates to a new segment, writes
   * and fsyncs every file the old segment covers, then deletes it. Writes go on meanwhile.
   */
  checkpoint(): Promise<void> {
    this.checkpointing ??= (async () => {
      try {
        if (this.journal.failure && !(await this.journal.recover())) throw this.journal.failure;
        if (!this.journal.hasOld) await this.journal.rotate();
        if (this.journal.failure) throw this.journal.failure;
        const last = this.journal.oldLastJ;
        await this.applyNow();
        if (this.applier.appliedJ < last) throw this.lagError ?? new Error(`jsonl files hold line ${this.applier.appliedJ}, not ${last}`);
        await this.applier.sync();
        await this.journal.retireOld();
        this.checkpointFailures = 0;
        this.checkpointRetryAt = 0;
      } catch (err) {
        this.lagError = err as Error;
        this.checkpointFailures++;
        this.checkpointRetryAt = Date.now() + RETRY_MS[Math.min(this.checkpointFailures - 1, RETRY_MS.length - 1)];
        throw err;
      }
    })().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  /** Everything durable into the files, synced, journal empty; for close. */
  async flushAll(): Promise<void> {
    await this.section.run(async () => undefined);
    await this.journal.idle();
    await this.checkpoint();
    if (this.journal.size > 0) await this.checkpoint();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.applyTimer);
    await this.applying;
    await this.journal.close();
    await this.applier.close();
  }

  // ---- open ----

  /** Reads the journal and writes what it holds into the files (exact offsets: harmless if already there). */
  async openJournal(): Promise<JournalLine[]> {
    const lines = await this.journal.open();
    if (this.journal.tornBytes > 0) {
      this.log?.warn("jsonl journal ended in an unfinished write (a crash while writing it); it was never acknowledged and is dropped", { bytes: this.journal.tornBytes });
    }
    await replayOps(this.disk, this.dir, lines.flatMap((l) => l.w ?? []));
    return lines;
  }

  /**
   * After the models loaded: starts an empty journal. A journal line with `l` ops was written by a
   * version whose stores still applied their own writes; this version cannot apply them.
   */
  async finishOpen(lines: JournalLine[]): Promise<void> {
    const old = lines.find((line) => (line.l ?? []).length > 0);
    if (old) {
      throw backendUnavailable(
        `the jsonl journal holds writes (line ${old.j}) in a format of an earlier agentstate; start that version once and stop it cleanly, which applies them, then this one`,
      );
    }
    await this.journal.reset();
    await this.disk.syncDir(this.dir);
  }
}
