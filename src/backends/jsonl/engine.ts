/**
 * What every jsonl store shares: the journal, the file writer, and the appliers that turn a
 * committed op into memory and file changes. A store validates against memory, builds ops, and
 * calls `tx(ops)`: memory is updated at once (so the next call's checks see it), the ops are
 * journaled, and the call resolves when they are durable and in the files.
 */
import { join } from "node:path";
import { Journal, type Op } from "./journal.js";
import { FileIO } from "./fileio.js";

export interface Applier<O extends Op = Op> {
  /** Updates in-memory state. Synchronous: it runs inside the caller's atomic section. */
  memory?(op: O): void;
  /** Writes the op to files. Must be idempotent: replay after a crash runs it again. */
  files?(op: O, io: FileIO): Promise<void>;
}

export class Engine {
  readonly io = new FileIO();
  readonly journal: Journal;
  private readonly appliers = new Map<string, Applier>();
  private readonly afterApply: Array<(ops: Op[]) => void> = [];

  constructor(readonly dir: string) {
    this.journal = new Journal(join(dir, "journal.jsonl"), {
      applyFiles: (ops) => this.applyFiles(ops),
      syncFiles: () => this.io.sync(),
    });
  }

  register<O extends Op>(kind: string, applier: Applier<O>): void {
    if (this.appliers.has(kind)) throw new Error(`op kind ${kind} registered twice`);
    this.appliers.set(kind, applier);
  }

  /** Called with every batch once it is durable and applied (change-log watchers use it). */
  onApplied(listener: (ops: Op[]) => void): void {
    this.afterApply.push(listener);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  tx(ops: Op[]): Promise<void> {
    for (const op of ops) this.applier(op).memory?.(op);
    return this.journal.commit(ops);
  }

  /** Re-applies transactions left in the journal by a previous run (memory and files). */
  async replay(txs: Op[][]): Promise<void> {
    for (const ops of txs) {
      for (const op of ops) this.applier(op).memory?.(op);
      await this.applyFiles(ops);
    }
  }

  private async applyFiles(ops: Op[]): Promise<void> {
    for (const op of ops) await this.applier(op).files?.(op, this.io);
    await this.io.flush();
    for (const l of this.afterApply) l(ops);
  }

  private applier(op: Op): Applier {
    const a = this.appliers.get(op.k);
    if (!a) throw new Error(`journal holds an op of unknown kind ${JSON.stringify(op.k)}`);
    return a;
  }
}
