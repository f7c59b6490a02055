/**
 * Plan storage primitives (the domain rules are in src/core/plans.ts).
 *
 * Records: plans by id, listed without their bodies by (createdAt, id). A backend keeps them and
 * answers the reads below; it decides nothing.
 */
import type { Plan, PlanStatus, PlanSummary } from "../../../domain/plans.js";

export interface PlanFilter {
  sessionId?: string;
  status?: PlanStatus;
}

/** The sort key of a plan in listings: createdAt, then id. */
export type PlanKey = readonly [createdAt: string, id: string];

export interface PlansReadPort {
  /** The stored record with its body, or undefined. Inside a unit of work it is locked/guarded until the end. */
  plan(id: string): Promise<Plan | undefined>;
  /**
   * Plans matching `filter`, without bodies, newest first: createdAt descending, then id
   * descending, both in code point order; only those sorting after `after`; at most `limit`.
   */
  listPlans(filter: PlanFilter, after: PlanKey | undefined, limit: number): Promise<PlanSummary[]>;
}

export interface PlansWritePort {
  /**
   * Stores `next` whole; `prev` is the stored record it replaces (undefined: a new plan), so a
   * backend can move index entries and skip an unchanged body. `source`, when given, is the text
   * of a hand-edited file that already holds `next` (layouts that keep plans as files keep that
   * text as it is instead of writing their own).
   */
  putPlan(next: Plan, prev: Plan | undefined, source?: string): void;
  /** Removes the stored record and its body. */
  deletePlan(plan: Plan): void;
}

/**
 * What a hand-edited plan file says, as a layout that keeps plans as files parsed it; fields the
 * file leaves out are undefined. The core decides what record it becomes (core/plan-records.ts).
 */
export interface PlanEdit {
  title: string;
  body: string;
  slug?: string;
  status?: PlanStatus;
  /** null: the file names no session. */
  sessionId: string | null;
  createdAt?: string;
  version?: number;
}
