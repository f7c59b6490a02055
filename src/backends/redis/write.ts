/**
 * Optimistic atomic writes: read what the write depends on, compute the new records with the same
 * shared logic as every backend, then apply through the guarded Lua script; if anything read has
 * changed meanwhile (another writer, another host), read again and retry. Conflicts the caller
 * must see (expectedVersion, …) are decided in `plan` from fresh reads, so they are exact.
 */
import type { ChangeInput } from "../../domain/changes.js";
import { backendUnavailable } from "../../domain/errors.js";
import type { BackendOptions } from "../contract.js";
import type { Command, Guard, RedisClient } from "./client.js";

export interface WritePlan<T> {
  guards: Guard[];
  changes: ChangeInput[];
  commands: Command[];
  result: T;
}

const MAX_ATTEMPTS = 100;

export class Writer {
  constructor(
    private readonly client: RedisClient,
    private readonly opts: BackendOptions,
    private readonly stream: string,
    private readonly maxlen: number,
    /** The meta hash: the stream is then capped exactly, the cap recorded for since() (R11). */
    private readonly meta?: string,
  ) {}

  async write<T>(plan: () => Promise<WritePlan<T>>): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const p = await plan();
      const at = this.opts.now().toISOString();
      const changes = p.changes.map((c) => JSON.stringify({ at, origin: this.opts.origin, ...c }));
      const ids = await this.client.apply(this.stream, this.maxlen, p.guards, changes, p.commands, this.meta);
      if (ids !== null) return p.result;
      if (attempt > 3) await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, 20)));
    }
    throw backendUnavailable("redis write kept conflicting with other writers; try again");
  }
}
