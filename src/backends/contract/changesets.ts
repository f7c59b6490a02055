/** Changesets, their entries, and tool invocations (SPEC §3.6). */
import type {
  ChangeSet, ChangeSetStatus, ChangeSetWithEntries, EntryInput, RecordResult, ToolInvocation,
} from "../../domain/changesets.js";
import type { Page, PageQuery } from "./common.js";

/** An entry as the store receives it: validated, with its id generated above the backend. */
export type NewEntry = EntryInput & { id: string };

/**
 * An invocation as the store receives it: id set, times normalized to ISO 8601 UTC with ms.
 * Fields left undefined are filled in by the store (see `saveInvocation`).
 */
export interface InvocationInput {
  id: string;
  planId: string;
  changesetId?: string;
  sessionId?: string;
  toolName: string;
  arguments: unknown;
  result?: unknown;
  status: ToolInvocation["status"];
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  changeIds?: string[];
  resourceRefs?: string[];
  providerMetadata?: Record<string, unknown>;
}

export interface PlanPageQuery extends PageQuery {
  planId: string;
}

/**
 * Storage for changesets (an ordered list of file edits belonging to one plan) and tool invocations.
 * Every write is atomic together with its change record(s), domain "changesets":
 * - `changeset.started`  id = changeset, data `{ planId }`
 * - `changeset.recorded` id = changeset, data `{ planId, firstSeq, lastSeq }` for a record call, or
 *   `{ planId, status, from }` for a status change (the SPEC names no separate type for it)
 * - `changeset.deleted`  id = changeset, data `{ planId, entries }`, one per deleted changeset
 * - `invocation.saved`   id = invocation, data `{ planId, status, created }`
 * - `invocation.deleted` id = invocation, data `{ planId }`, one per deleted invocation
 * Change data never carries paths, diff text, arguments or results.
 *
 * Keys and indexes a backend needs (none requires a scan of everything):
 * - changesets by id, and by (planId, createdAt, id) for listing;
 * - entries by (changesetId, seq): the changeset's own `lastSeq` counter (kept by the store, not
 *   returned) gives the next seq without reading entries;
 * - invocations by id, and by (planId, startedAt, id) for listing.
 * A jsonl backend can keep one append-only file per plan holding both kinds of records.
 *
 * Rules every backend keeps:
 * - `planId`, `changesetId`, `invocationId`, `changeIds` are references, not foreign keys: no store
 *   checks that a plan exists, and deleting a plan, a changeset or an invocation never cascades
 *   (callers use the deleteForPlan methods). A plan may be a Markdown file a person deletes by hand;
 *   a changeset must not vanish with it silently.
 * - A changeset's planId and an entry's seq never change. Status goes only open → applied or
 *   open → discarded; entries can be recorded only while the changeset is open.
 * - An invocation's planId never changes (so the per-plan index never moves a record).
 *
 * Left out on purpose: editing or removing single entries (a changeset is an append-only log; discard
 * it and start another), listing entries across changesets, idempotency keys on record (a retried
 * record appends twice; callers who retry read the changeset first), and the derived views
 * `changesets.summarize` (computed from `get` above the backend) and plan-wide summaries.
 */
export interface ChangesetStore {
  /**
   * Creates an empty, open changeset linked to `planId`; createdAt = updatedAt = now. The link is
   * durable at once, so an empty changeset is listed for its plan after a restart.
   * CONFLICT if `id` exists (ids are ULIDs generated above the backend, so only a caller bug does it).
   */
  start(input: { id: string; planId: string }): Promise<ChangeSet>;

  /**
   * The changeset and every entry, ascending seq, read consistently (no entry of a record call that
   * is only partly visible). NOT_FOUND if absent.
   */
  get(id: string): Promise<ChangeSetWithEntries>;

  /**
   * Appends `entries` (at least one, in the given order) with seqs lastSeq+1 … lastSeq+n; seqs are
   * dense per changeset across calls and never reused. Each entry gets the changeset's planId and
   * createdAt = now; the changeset's updatedAt becomes now. All or nothing.
   * NOT_FOUND if the changeset is absent; INVALID_STATE unless it is open. Concurrent record calls
   * on one changeset are serialized: their seq ranges never overlap or leave holes.
   */
  record(changesetId: string, entries: NewEntry[]): Promise<RecordResult>;

  /**
   * The plan's changesets, oldest first: ascending (createdAt, id); keyset-paged. An unknown plan is
   * an empty page, not NOT_FOUND (plans live in another store and are not checked).
   */
  listForPlan(query: PlanPageQuery): Promise<Page<ChangeSet>>;

  /**
   * Sets the status: open → applied | discarded. Setting the current status again changes nothing
   * and records nothing (a retry after a lost reply succeeds). Any other transition is INVALID_STATE
   * with details `{ status, requested }`. NOT_FOUND if absent. Bumps updatedAt.
   */
  setStatus(id: string, status: ChangeSetStatus): Promise<ChangeSet>;

  /**
   * Deletes every changeset of the plan and all their entries, atomically; whatever their status.
   * Returns how many of each went (zeros for an unknown plan, which records nothing). Invocations of
   * the plan are untouched, including their changesetId.
   */
  deleteForPlan(planId: string): Promise<{ changesets: number; entries: number }>;

  /**
   * Creates or wholly replaces the invocation `input.id`; fields absent from `input` are absent from
   * the stored record, except:
   * - startedAt: the stored record's when omitted, else now;
   * - finishedAt: when omitted and status is succeeded or failed, the stored record's finishedAt if
   *   it had one, else now; never filled in for running;
   * - durationMs: when omitted and finishedAt is known, finishedAt − startedAt (at least 0);
   * - changeIds, resourceRefs: [] when omitted; arrays are kept in the given order.
   * CONFLICT if a stored invocation with this id belongs to another plan.
   */
  saveInvocation(input: InvocationInput): Promise<ToolInvocation>;

  /** NOT_FOUND if absent. */
  getInvocation(id: string): Promise<ToolInvocation>;

  /** The plan's invocations, ascending (startedAt, id); keyset-paged. Unknown plan → empty page. */
  listInvocationsForPlan(query: PlanPageQuery): Promise<Page<ToolInvocation>>;

  /** Deletes every invocation of the plan atomically; returns the count (0 records nothing). */
  deleteInvocationsForPlan(planId: string): Promise<{ invocations: number }>;
}
