/**
 * The store contract: what every backend implements, and what each method guarantees. The
 * per-domain interfaces live in ./contract/; this file assembles them into one Backend.
 *
 * Rules for all stores:
 * - Every write is atomic: it fully happens, with its change-log records, or not at all.
 * - Errors a caller can cause are AgentStateError (NOT_FOUND, CONFLICT, …) from domain/errors.ts,
 *   the same on every backend; a driver's own error text never reaches a caller. A store that
 *   cannot reach its server throws BACKEND_UNAVAILABLE.
 * - Defaults (ids, page limits, size limits) are applied above the backend, in the daemon, once.
 * - Free-form JSON is stored and returned unchanged.
 */
import type { BackendName, BackendOptions, BackendProbe, ChangeLog } from "./contract/common.js";
import type { ConversationStore } from "./contract/conversations.js";
import type { GroupStore } from "./contract/groups.js";
import type { JobStore } from "./contract/jobs.js";
import type { PlanStore } from "./contract/plans.js";
import type { HistoryStore } from "./contract/history.js";
import type { ChangesetStore } from "./contract/changesets.js";
import type { LedgerStore } from "./contract/ledger.js";
import type { CheckpointStore } from "./contract/checkpoints.js";
import type { RestoreStore } from "./contract/restore.js";

export interface Backend {
  readonly name: BackendName;
  readonly conversations: ConversationStore;
  readonly groups: GroupStore;
  readonly jobs: JobStore;
  readonly plans: PlanStore;
  readonly history: HistoryStore;
  readonly changesets: ChangesetStore;
  readonly ledger: LedgerStore;
  /** Graph checkpoints (SPEC §3.8). */
  readonly checkpoints: CheckpointStore;
  /**
   * Writes records exactly as they were (RestoreStore). Only the legacy importer and `migrate copy`
   * use it; no RPC method reaches it.
   */
  readonly restore: RestoreStore;
  readonly changes: ChangeLog;
  /** Opens files or connections and runs migrations. Idempotent. */
  open(): Promise<void>;
  /** Flushes and releases everything; resolves only when all handles are closed. Idempotent. */
  close(): Promise<void>;
  /** A cheap round trip to the storage, for health checks. Never throws. */
  probe(): Promise<BackendProbe>;
}

export type BackendFactory = (options: BackendOptions) => Backend;

export * from "./contract/common.js";
export type * from "./contract/conversations.js";
export type * from "./contract/groups.js";
export type * from "./contract/jobs.js";
export type * from "./contract/plans.js";
export type * from "./contract/history.js";
export type * from "./contract/changesets.js";
export type * from "./contract/ledger.js";
export type * from "./contract/checkpoints.js";
export type * from "./contract/restore.js";
export type * from "./contract/storage.js";
export type * from "./contract/ports/conversations.js";
export type * from "./contract/ports/jobs.js";
export type * from "./contract/ports/groups.js";
export type * from "./contract/ports/plans.js";
export type * from "./contract/ports/history.js";
export type * from "./contract/ports/checkpoints.js";
export type * from "./contract/ports/changesets.js";
export type * from "./contract/ports/ledger.js";
