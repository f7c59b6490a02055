/**
 * The storage primitives: what a backend supplies so that every domain operation can be written
 * once, in src/core/, as read set → decide → write set + change records. A backend implements a unit
 * of work (`write`), a read context (`read`), one port per domain (./ports/), the change log, and
 * its lifecycle. It makes no domain decision: no version check, no idempotency rule, no ordering
 * rule, no retention count lives in a backend folder.
 *
 * How each family provides the unit of work:
 * - SQL (sqlite, postgres): one transaction; every port read inside `write` locks what it returns
 *   (`FOR UPDATE` on Postgres; SQLite has one writer). A unique-key violation, deadlock or
 *   serialization failure re-runs `fn` (a retry sees what the other writer committed).
 * - Redis: optimistic. Every port read inside `write` becomes a guard on the key it read; writes
 *   are buffered as commands and applied with the change entries by one Lua script that first
 *   checks every guard. A guard that fails re-runs `fn`.
 * - jsonl and memory: a synchronous section. Units of work run one at a time; their writes are
 *   applied to the in-memory model when `fn` returns, then journaled (jsonl). The caller is answered
 *   only once the journal line is synced, and so is any reader that might have seen it.
 */
import type { ChangeInput } from "../../domain/changes.js";
import type { BackendName, BackendProbe, ChangeLog } from "./common.js";
import type { ChangesetsReadPort, ChangesetsWritePort } from "./ports/changesets.js";
import type { CheckpointsReadPort, CheckpointsWritePort } from "./ports/checkpoints.js";
import type { ConversationsReadPort, ConversationsWritePort } from "./ports/conversations.js";
import type { GroupsReadPort, GroupsWritePort } from "./ports/groups.js";
import type { HistoryReadPort, HistoryWritePort } from "./ports/history.js";
import type { JobsReadPort, JobsWritePort } from "./ports/jobs.js";
import type { LedgerReadPort, LedgerWritePort } from "./ports/ledger.js";
import type { PlansReadPort, PlansWritePort } from "./ports/plans.js";

/** What every port read sees, in `read` and in `write`. */
export interface ReadPorts {
  readonly conversations: ConversationsReadPort;
  readonly jobs: JobsReadPort;
  readonly groups: GroupsReadPort;
  readonly plans: PlansReadPort;
  readonly history: HistoryReadPort;
  readonly checkpoints: CheckpointsReadPort;
  readonly changesets: ChangesetsReadPort;
  readonly ledger: LedgerReadPort;
}

/**
 * One unit of work. Rules for the function that receives it:
 * - It may run more than once (optimistic retry); it must have no effect outside the unit of work.
 * - Decide from reads, then write: a read after a write in the same unit is an error (backends
 *   that buffer writes could not show them, so none does).
 * - `now` is the unit's one timestamp: every time it assigns is this one.
 */
export interface UnitOfWork extends ReadPorts {
  readonly now: string;
  /** The daemon instance writing (recorded as `origin` of each change). */
  readonly origin: string;
  readonly conversations: ConversationsReadPort & ConversationsWritePort;
  readonly jobs: JobsReadPort & JobsWritePort;
  readonly groups: GroupsReadPort & GroupsWritePort;
  readonly plans: PlansReadPort & PlansWritePort;
  readonly history: HistoryReadPort & HistoryWritePort;
  readonly checkpoints: CheckpointsReadPort & CheckpointsWritePort;
  readonly changesets: ChangesetsReadPort & ChangesetsWritePort;
  readonly ledger: LedgerReadPort & LedgerWritePort;
  /** Records a change in the same atomic unit as the writes (SPEC §4). */
  change(change: ChangeInput): void;
}

export interface Storage {
  readonly name: BackendName;
  readonly changes: ChangeLog;
  /**
   * Runs `fn` as one atomic unit: all its writes and change records happen, or none. Resolves with
   * `fn`'s result once the writes are durable (SPEC §6); a unit that wrote nothing resolves once
   * everything it may have read is durable. Rejects with `fn`'s error (nothing written), or with
   * BACKEND_UNAVAILABLE when the storage refused the writes (nothing written; a retry is safe), or
   * OUTCOME_UNKNOWN when the writes were sent and the reply was lost.
   */
  write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T>;
  /**
   * Runs reads outside a unit of work: they see committed, durable data only, and lock nothing.
   * Consecutive reads in one `fn` are not a snapshot on every backend.
   */
  read<T>(fn: (ports: ReadPorts) => Promise<T>): Promise<T>;
  /** Opens files or connections and runs migrations. Idempotent. */
  open(): Promise<void>;
  /** Flushes and releases everything; resolves only when all handles are closed. Idempotent. */
  close(): Promise<void>;
  /** A cheap round trip to the storage, for health checks. Never throws. */
  probe(): Promise<BackendProbe>;
}
