/**
 * Watches one flat directory of hand-editable files (plans/*.md, schedules/*.yaml) with chokidar and calls `onName`
 * with a file's base name once its events have been quiet for `debounceMs`. Calls never overlap, so
 * the handler sees one file change at a time; dot files (temp files of atomic rewrites, sidecars)
 * are ignored. A debounce instead of chokidar's awaitWriteFinish: that polls with stat and waits
 * its whole threshold even for an atomic rename, and SPEC §4 wants hand edits seen within 1 s.
 */
import { promises as fs } from "node:fs";
import { basename } from "node:path";
import { watch, type FSWatcher } from "chokidar";

export class DirWatcher {
  private watcher?: FSWatcher;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly suffix: string,
    private readonly onName: (name: string) => Promise<void>,
    private readonly onError: (err: unknown) => void,
    private readonly debounceMs = 100,
  ) {}

  /** Resolves once the watch is in place: a change made after this is seen. */
  async start(): Promise<void> {
    if (this.watcher) return;
    this.stopped = false;
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Not persistent: a watch alone does not keep a process alive (the daemon has its socket for
    // that), so a store dropped without close() in a test does not hang it.
    const w = watch(this.dir, { persistent: false, ignoreInitial: true, depth: 0, ignored: (path) => path !== this.dir && basename(path).startsWith(".") });
    this.watcher = w;
    w.on("all", (_event, path) => this.schedule(basename(path)));
    w.on("error", (err) => this.onError(err));
    await new Promise<void>((resolve) => w.once("ready", () => resolve()));
  }

  private schedule(name: string): void {
    if (this.stopped || !name.endsWith(this.suffix) || name.startsWith(".")) return;
    clearTimeout(this.timers.get(name));
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.chain = this.chain.then(() => (this.stopped ? undefined : this.onName(name))).catch((err: unknown) => this.onError(err));
    }, this.debounceMs);
    this.timers.set(name, timer);
  }

  /** Resolves when the watcher is closed and no handler is running. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.watcher?.close();
    this.watcher = undefined;
    await this.chain;
  }
}
