/** The lifecycle every jsonl store has, driven by JsonlBackend. */
export interface JsonlDomain {
  /** Reads the store's files into memory at open, before the journal is replayed. */
  load(): Promise<void>;
  /** After replay: start watchers or timers. (Not `start`: ChangesetStore has a `start` method.) */
  afterReplay?(): Promise<void>;
  /** Before close: stop watchers and timers; resolves when they are closed. */
  beforeClose?(): Promise<void>;
  /** Problems an operator should see in daemon.health (malformed hand-edited files, …). */
  warnings?(): string[];
}
