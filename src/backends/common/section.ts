/**
 * The unit of work of the in-process families (memory, jsonl): units run one at a time, reads go
 * straight to the model, and writes are held until the unit's function returns, then applied in
 * order. A unit that throws therefore changes nothing, and no lock or retry is needed.
 */

/** Runs async sections one after another, in call order. */
export class SerialSection {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** The writes a unit of work has asked for, applied together when it commits. */
export class WriteSet {
  private readonly writes: Array<() => void> = [];
  /** Set by the first write; reads after it are a bug in the domain operation (see UnitOfWork). */
  wrote = false;

  push(apply: () => void): void {
    this.wrote = true;
    this.writes.push(apply);
  }

  /** Throws if the unit already wrote: what it would read could not include its own writes. */
  beforeRead(): void {
    if (this.wrote) throw new Error("a unit of work read after it wrote; decide from reads, then write");
  }

  get size(): number {
    return this.writes.length;
  }

  apply(): void {
    for (const w of this.writes) w();
  }
}

/**
 * A view of `port` for one unit of work: methods named in `writes` are queued on `set` instead of
 * running, every other method checks that nothing was written yet.
 */
export function bufferedPort<P extends object>(port: P, writes: ReadonlySet<string>, set: WriteSet): P {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function" || typeof prop !== "string") return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (writes.has(prop)) return (...args: unknown[]) => set.push(() => fn.apply(target, args));
      return (...args: unknown[]) => {
        set.beforeRead();
        return fn.apply(target, args);
      };
    },
  });
}
