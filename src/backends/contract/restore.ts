/** The restore path (SPEC §2 "Restore keeps everything"). */
import type { ChangeEntry, ChangeSet, ToolInvocation } from "../../domain/changesets.js";
import type { ThreadExport } from "./checkpoints.js";
import type { Message, Session } from "../../domain/conversations.js";
import type { Group } from "../../domain/groups.js";
import type { HistoryEntry } from "../../domain/history.js";
import type { Job, Run } from "../../domain/jobs.js";
import type { Plan } from "../../domain/plans.js";

/**
 * Writes records exactly as they were: their own ids, times, versions, seqs (gaps included),
 * truncation markers, job bookkeeping and run history. Only the legacy importer (inside the daemon)
 * and `migrate copy` (offline) use it; no RPC method reaches it, so an ordinary client cannot forge
 * a createdAt or rewind a version.
 *
 * Every method is an upsert: restoring a record that exists replaces it, so restoring the same
 * record twice leaves one copy (imports and copies can resume). Each call is atomic and records the
 * record's ordinary change (`session.created`, `group.saved`, …) with `data.restored: true`, so
 * subscribers reload. Restored records pass the same id and size checks as ordinary writes.
 */
export interface RestoreStore {
  /**
   * The session record as given (createdAt, updatedAt, version, lastSeq, truncatedBeforeSeq,
   * messageCount, tokenStats, aliases, …), replacing a stored one and all its messages, plus
   * `messages` with their own seq and createdAt (ascending seq, each <= session.lastSeq). Hidden
   * messages (seq < truncatedBeforeSeq) are restored hidden. Large sessions continue with
   * `messages`.
   */
  session(session: Session, messages: Message[]): Promise<void>;
  /** More messages of a session restored by `session`, ascending seq; a seq already stored is replaced. */
  messages(sessionId: string, messages: Message[]): Promise<void>;
  group(group: Group): Promise<void>;
  /** The job with nextRunAt, lastRunAt, lastStatus, lastError, anchorAt, version as given (no schedule arithmetic). */
  job(job: Job): Promise<void>;
  /** Runs of jobs already restored, as given (status, attempt, claimedBy, output, …); slot keys included. */
  runs(runs: Run[]): Promise<void>;
  plan(plan: Plan): Promise<void>;
  /** Entries with their own seq; the log's next seq becomes at least the highest restored + 1. */
  history(entries: HistoryEntry[]): Promise<void>;
  /**
   * The changeset (with its status and times), replacing a stored one and all its entries, and its
   * entries with their own seqs: 1…n, dense like every recorded changeset's, each naming this
   * changeset and its plan (else INVALID_PARAMS, nothing written). Recording continues at n + 1.
   */
  changeset(changeset: ChangeSet, entries: ChangeEntry[]): Promise<void>;
  /** The invocation as given (no default filled in), replacing a stored one, of whichever plan. */
  invocation(invocation: ToolInvocation): Promise<void>;
  /**
   * The graph-checkpoint thread as exported (CheckpointStore.exportThread): every checkpoint with
   * its createdAt, every channel value and pending write, replacing whatever the thread held, in
   * one atomic unit. Records one `checkpoint.saved` with `{ scope, restored: true, checkpoints }`.
   */
  checkpointThread(thread: ThreadExport): Promise<void>;
  // Ledger turns need no restore method: `ledger.ingest` stores every field as given (`ts` is the
  // turn's own, the store assigns nothing but the idHash it derives) and is idempotent by idHash.
}
