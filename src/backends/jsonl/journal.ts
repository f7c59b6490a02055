/**
 * The jsonl backend's write-ahead journal. Every write is one line (a transaction of ops) appended
 * to `journal.jsonl`; one fdatasync covers every transaction queued while the previous one ran
 * (group commit), however many files those writes touch, and then the writers are acknowledged.
 * A second loop applies committed ops to the human-readable files, in order, while the next batch
 * is being synced; readers call `settled()` first so they see every acknowledged write. On open,
 * transactions still in the journal are applied again (appliers are idempotent), so a crash at any
 * point loses no acknowledged write. A checkpoint fsyncs the files written since the last one and
 * empties the journal.
 */
import { promises as fs } from "node:fs";
import { backendUnavailable } from "../../domain/errors.js";
import { repairTornTail } from "./files.js";

export interface Op {
  k: string;
}

export interface JournalHooks {
  /** Applies a batch of committed ops to the files (idempotently: also used for replay). */
  applyFiles(ops: Op[]): Promise<void>;
  /** Makes every file written since the last checkpoint durable (fsync files and directories). */
  syncFiles(): Promise<void>;
}

interface Pending {
  line: string;
  ops: Op[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

const CHECKPOINT_BYTES = 16 * 1024 * 1024;

export class Journal {
  private fh?: fs.FileHandle;
  private queue: Pending[] = [];
  private exclusive: Array<{ fn: () => Promise<void>; resolve: () => void; reject: (e: unknown) => void }> = [];
  private running?: Promise<void>;
  private applyQueue: Op[][] = [];
  private applying?: Promise<void>;
  /** Batches handed to the apply loop, and batches it has finished: readers wait for the gap. */
  private queuedBatches = 0;
  private appliedBatches = 0;
  private settledWaiters: Array<{ target: number; resolve: () => void }> = [];
  private failure?: NodeJS.ErrnoException;
  private bytes = 0;
  /** Counts fdatasync calls, for tests and stats (group commit shows as syncs < commits). */
  syncs = 0;
  commits = 0;

  constructor(
    private readonly path: string,
    private readonly hooks: JournalHooks,
  ) {}

  /** Opens the journal and returns the transactions a previous run left in it, oldest first. */
  async open(): Promise<Op[][]> {
    await repairTornTail(this.path);
    let text = "";
    try {
      text = await fs.readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const txs: Op[][] = [];
    for (const line of text.split("\n")) {
      if (line === "") continue;
      txs.push((JSON.parse(line) as { ops: Op[] }).ops);
    }
    this.fh = await fs.open(this.path, "a", 0o600);
    this.bytes = Buffer.byteLength(text);
    return txs;
  }

  /**
   * Queues `ops` as one transaction. Resolves once it is durable and applied to the files.
   * After an I/O failure every commit fails with BACKEND_UNAVAILABLE: memory may then be ahead of
   * disk, so the daemon must be restarted (it replays the journal).
   */
  commit(ops: Op[]): Promise<void> {
    if (this.failure) return Promise.reject(this.unavailable());
    const line = JSON.stringify({ ops }) + "\n";
    return new Promise((resolve, reject) => {
      this.queue.push({ line, ops, resolve, reject });
      this.kick();
    });
  }

  /** Runs `fn` between batches, with no write in progress (checkpoints, compaction, pruning). */
  runExclusive(fn: () => Promise<void>): Promise<void> {
    if (this.failure) return Promise.reject(this.unavailable());
    return new Promise((resolve, reject) => {
      this.exclusive.push({ fn, resolve, reject });
      this.kick();
    });
  }

  checkpoint(): Promise<void> {
    return this.runExclusive(() => this.doCheckpoint());
  }

  get healthy(): boolean {
    return this.failure === undefined;
  }

  async close(): Promise<void> {
    await this.running;
    await this.settled();
    if (this.fh && !this.failure) await this.doCheckpoint();
    await this.fh?.close();
    this.fh = undefined;
  }

  private kick(): void {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.queue.length > 0 || this.exclusive.length > 0) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 || this.exclusive.length > 0) {
      if (this.queue.length > 0) await this.flush(this.queue.splice(0));
      const jobs = this.exclusive.splice(0);
      if (jobs.length > 0 || this.bytes >= CHECKPOINT_BYTES) await this.settled();
      for (const job of jobs) {
        await job.fn().then(job.resolve, (err: unknown) => {
          job.reject(err);
        });
      }
      if (this.bytes >= CHECKPOINT_BYTES && !this.failure) await this.doCheckpoint().catch((err: unknown) => this.fail(err));
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    if (this.failure) {
      for (const p of batch) p.reject(this.unavailable());
      return;
    }
    try {
      const fh = this.fh;
      if (!fh) throw new Error("journal is not open");
      const text = batch.map((p) => p.line).join("");
      await fh.write(text);
      await fh.datasync();
      this.syncs++;
      this.commits += batch.length;
      this.bytes += Buffer.byteLength(text);
    } catch (err) {
      this.fail(err);
      for (const p of batch) p.reject(this.unavailable());
      return;
    }
    this.applyQueue.push(batch.flatMap((p) => p.ops));
    this.queuedBatches++;
    this.applying ??= this.applyLoop();
    for (const p of batch) p.resolve();
  }

  /** Applies committed batches to the files, oldest first, several batches at a time. */
  private async applyLoop(): Promise<void> {
    try {
      while (this.applyQueue.length > 0) {
        const batches = this.applyQueue.splice(0);
        try {
          await this.hooks.applyFiles(batches.flat());
        } catch (err) {
          this.fail(err);
        }
        this.appliedBatches += batches.length;
        this.wakeReaders();
      }
    } finally {
      this.applying = undefined;
    }
  }

  private wakeReaders(): void {
    const still: typeof this.settledWaiters = [];
    for (const w of this.settledWaiters) {
      if (w.target <= this.appliedBatches || this.failure) w.resolve();
      else still.push(w);
    }
    this.settledWaiters = still;
  }

  /** Resolves once every write acknowledged before this call is in the files (read-your-writes). */
  settled(): Promise<void> {
    const target = this.queuedBatches;
    if (target <= this.appliedBatches) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push({ target, resolve }));
  }

  private async doCheckpoint(): Promise<void> {
    await this.hooks.syncFiles();
    await this.fh?.truncate(0);
    await this.fh?.datasync();
    this.bytes = 0;
  }

  private fail(err: unknown): void {
    this.failure ??= err instanceof Error ? err : new Error(String(err));
    for (const p of this.queue.splice(0)) p.reject(this.unavailable());
  }

  private unavailable() {
    const code = this.failure?.code ?? "EIO";
    return backendUnavailable(`the jsonl journal could not be written (${code}); restart the daemon to recover`);
  }
}
