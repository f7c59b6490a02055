/**
 * The redis family's storage primitives: optimistic units of work. A unit's reads of records guard
 * the keys they read; its writes are buffered as commands; the guarded Lua script (client.ts)
 * applies the commands and appends the change entries only if every guarded key still holds what
 * was read, else the unit runs again on fresh reads. A unit that wrote nothing sends nothing.
 */
import type { ChangeInput } from "../../domain/changes.js";
import { backendUnavailable } from "../../domain/errors.js";
import type { BackendOptions, ReadPorts, UnitOfWork } from "../contract.js";
import type { RedisClient } from "./client.js";
import { RedisChangesetsPort } from "./changesets.js";
import { RedisCheckpointsPort } from "./checkpoints.js";
import { RedisConversationsPort } from "./conversations.js";
import { RedisGroupsPort } from "./groups.js";
import { RedisHistoryPort } from "./history.js";
import { RedisJobsPort } from "./jobs.js";
import { RedisLedgerPort } from "./ledger.js";
import { RedisPlansPort } from "./plans.js";
import { RedisUnit } from "./unit.js";
import type { Keys } from "./keys.js";

const MAX_ATTEMPTS = 100;

export class RedisUnits {
  readonly readPorts: ReadPorts;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly opts: BackendOptions,
    private readonly maxlen: number,
  ) {
    this.readPorts = {
      conversations: new RedisConversationsPort(client, keys),
      jobs: new RedisJobsPort(client, keys),
      groups: new RedisGroupsPort(client, keys),
      plans: new RedisPlansPort(client, keys),
      history: new RedisHistoryPort(client, keys),
      checkpoints: new RedisCheckpointsPort(client, keys),
      changesets: new RedisChangesetsPort(client, keys),
      ledger: new RedisLedgerPort(client, keys),
    };
  }

  async write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const unit = new RedisUnit(this.client);
      const changes: ChangeInput[] = [];
      const uow: UnitOfWork = {
        now: this.opts.now().toISOString(),
        origin: this.opts.origin,
        conversations: new RedisConversationsPort(this.client, this.keys, unit),
        jobs: new RedisJobsPort(this.client, this.keys, unit),
        groups: new RedisGroupsPort(this.client, this.keys, unit),
        plans: new RedisPlansPort(this.client, this.keys, unit),
        history: new RedisHistoryPort(this.client, this.keys, unit),
        checkpoints: new RedisCheckpointsPort(this.client, this.keys, unit),
        changesets: new RedisChangesetsPort(this.client, this.keys, unit),
        ledger: new RedisLedgerPort(this.client, this.keys, unit),
        change: (c) => void changes.push(c),
      };
      const result = await fn(uow);
      if (unit.commands.length === 0 && changes.length === 0) return result;
      const entries = changes.map((c) => JSON.stringify({ at: uow.now, origin: this.opts.origin, ...c }));
      if ((await this.client.apply(this.keys.changes, this.maxlen, unit.guards, entries, unit.commands, this.keys.meta)) !== null) return result;
      if (attempt > 3) await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, 20)));
    }
    throw backendUnavailable("redis write kept conflicting with other writers; try again");
  }
}
