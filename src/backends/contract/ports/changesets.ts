/**
 * Changeset and tool invocation storage primitives (the domain rules are in src/core/changesets.ts).
 *
 * Records: changesets by id with their private `lastSeq` counter, indexed by (planId, createdAt,
 * id); entries by (changesetId, seq); invocations by id, indexed by (planId, startedAt, id). A
 * backend keeps these and answers the reads below; it decides nothing (no status rule, no seq
 * arithmetic, no default).
 */
import type { ChangeEntry, ChangeSet, ToolInvocation } from "../../../domain/changesets.js";

/** A changeset as stored: the record plus the seq of its last entry (never returned to callers). */
export type StoredChangeset = ChangeSet & { lastSeq: number };

/** The sort key of a plan's changesets (createdAt, id) or invocations (startedAt, id). */
export type PlanItemKey = readonly [time: string, id: string];

export interface ChangesetsReadPort {
  /** The stored changeset, or undefined. Inside a unit of work it is locked/guarded until the end. */
  changeset(id: string): Promise<StoredChangeset | undefined>;
  /**
   * The changeset and its entries with seq <= its lastSeq, ascending seq, read together: never
   * entries of a record call whose changeset update is not visible, nor the reverse.
   */
  changesetWithEntries(id: string): Promise<{ changeset: StoredChangeset; entries: ChangeEntry[] } | undefined>;
  /**
   * The plan's changesets ascending by (createdAt, id) in code point order, only those after
   * `after`, at most `limit`. Inside a unit of work each returned record is locked/guarded.
   */
  changesetsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number): Promise<StoredChangeset[]>;
  /** The stored invocation, or undefined. Inside a unit of work it is locked/guarded until the end. */
  invocation(id: string): Promise<ToolInvocation | undefined>;
  /** The plan's invocations ascending by (startedAt, id), after `after`, at most `limit`; locked/guarded in a unit. */
  invocationsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number): Promise<ToolInvocation[]>;
}

export interface ChangesetsWritePort {
  /**
   * Stores `next` whole. `prev` is the stored record it replaces (undefined: a new changeset,
   * whose entries are none yet), so a backend can move its index entry without reading again.
   */
  putChangeset(next: StoredChangeset, prev: StoredChangeset | undefined): void;
  /** Stores entries (ascending seq, above every stored one) of the stored changeset `changeset`. */
  insertEntries(changeset: StoredChangeset, entries: ChangeEntry[]): void;
  /** Removes the changeset record, all its entries and its index entry. */
  deleteChangeset(changeset: StoredChangeset): void;
  /** Stores `next` whole; `prev` is the stored record it replaces (same planId), or undefined. */
  putInvocation(next: ToolInvocation, prev: ToolInvocation | undefined): void;
  /** Removes the invocation and its index entry. */
  deleteInvocation(invocation: ToolInvocation): void;
}
