/** Plan-mode plans (SPEC §3.4). */
import type { ListPlansParams, Plan, PlanSave, PlanSummary } from "../../domain/plans.js";
import type { Page, PageQuery } from "./common.js";

/**
 * Plan storage. Every write is atomic and records exactly one change in the same unit:
 * `plan.saved` (data: `{ status }`) or `plan.deleted`, with the plan's version. Never the body.
 *
 * Invariants every backend keeps:
 * - `uri` is always `planUri(id)` (domain/plans.ts); backends may compute it on read.
 * - `version` starts at 1 and grows by 1 per save; `expectedVersion` mismatches are CONFLICT and
 *   change nothing.
 * - `body` is returned byte for byte as saved (CRLF, trailing spaces and a missing final newline
 *   included), even by backends that keep plans as Markdown files a person may edit.
 *
 * Left out on purpose: status transition rules (any status may follow any other; the agent owns the
 * workflow and `expectedVersion` guards races), full-text search, slug uniqueness (the id is the
 * key; a slug only names things for people), and checking that `sessionId` exists.
 */
export interface PlanStore {
  /**
   * Creates the plan when `id` is unknown: `title` is required (INVALID_PARAMS at `/title`
   * otherwise), `body` defaults to "", `status` to "draft", `slug` to `slugify(title)`.
   * Otherwise changes the given fields only: `sessionId: null` clears it; the slug changes only when
   * given, never because the title changed. With `expectedVersion`, a missing plan or another
   * version is CONFLICT. `id` is always given (generated above the backend if omitted).
   */
  savePlan(input: PlanSave & { id: string }): Promise<Plan>;
  /** NOT_FOUND if absent. (Lookup by uri is derived above the backend with planIdFromUri.) */
  getPlan(id: string): Promise<Plan>;
  /**
   * Plans without their bodies, newest `createdAt` first (ties: id descending, code point order),
   * keyset-paged on (createdAt, id); filter by `sessionId` and/or `status`. Ordering by creation
   * keeps pages stable while plans are edited or approved.
   */
  listPlans(query: Omit<ListPlansParams, "limit"> & PageQuery): Promise<Page<PlanSummary>>;
  /** NOT_FOUND, CONFLICT. */
  deletePlan(id: string, expectedVersion?: number): Promise<void>;
}
