/** In-process change log: an array with integer cursors. */
import type { Change, ChangeInput } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { BackendOptions, ChangeLog } from "../contract.js";

export class MemoryChangeLog implements ChangeLog {
  private readonly log: Change[] = [];
  private last = 0;
  private prunedThrough = 0;
  private readonly listeners = new Set<(c: Change) => void>();

  constructor(private readonly opts: BackendOptions) {}

  /** Called by stores inside their (synchronous, hence atomic) write. */
  record(...inputs: ChangeInput[]): void {
    this.recordAt(this.opts.now().toISOString(), inputs);
  }

  /** Appends the changes of one committed unit of work, stamped `at`. */
  recordAt(at: string, inputs: readonly ChangeInput[]): void {
    for (const input of inputs) {
      const change: Change = { cursor: String(++this.last), at, origin: this.opts.origin, ...input };
      this.log.push(change);
      if (this.listeners.size > 0) queueMicrotask(() => this.listeners.forEach((l) => l(change)));
    }
  }

  async since(cursor: string | undefined, limit: number) {
    const after = cursor === undefined ? 0 : parseCursor(cursor);
    const reset = cursor !== undefined && after < this.prunedThrough;
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Number(this.log[mid].cursor) <= after) lo = mid + 1;
      else hi = mid;
    }
    return { changes: this.log.slice(lo, lo + limit), reset };
  }

  async head() {
    return this.last === 0 ? undefined : String(this.last);
  }

  watch(listener: (c: Change) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async prune(before: Date, keepAtLeast: number) {
    const cutoff = before.toISOString();
    let n = 0;
    const keep = Math.max(1, keepAtLeast); // the newest always stays, as on every backend
    while (this.log.length - n > keep && this.log[n].at < cutoff) n++;
    if (n > 0) this.prunedThrough = Number(this.log[n - 1].cursor);
    this.log.splice(0, n);
    return n;
  }
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalidParams("cursor is not one this server issued", "/fromCursor");
  return Number(cursor);
}
