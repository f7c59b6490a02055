/** Session groups (SPEC §3.2). */
import type { Group, GroupPut, GroupRollover } from "../../domain/groups.js";
import type { Page, PageQuery } from "./common.js";

/**
 * Group storage. Every write is atomic and records exactly one change in the same unit:
 * `group.saved` (put, rollover) or `group.deleted`, with the group's new version.
 *
 * Invariants every backend keeps:
 * - `version` starts at 1 and grows by 1 with every write that changes the group; a write given
 *   `expectedVersion` that does not match fails with CONFLICT and changes nothing.
 * - `history` only changes by put (replaced as given) or rollover (one id appended at the end).
 * - Timestamps are assigned by the store's clock, except `lastRolloverAt` given to put (imports).
 *
 * Left out on purpose: checking that session ids exist (sessions are another domain and may be
 * deleted independently), capping `history`, and cascading deletes to sessions.
 */
export interface GroupStore {
  /** NOT_FOUND if absent. */
  getGroup(id: string): Promise<Group>;
  /**
   * Creates the group when absent (version 1; absent fields default to no current session, empty
   * history, empty metadata). Otherwise changes the fields that are given: null clears
   * `currentSessionId` / `lastRolloverAt`, absent fields are kept, `history` and `metadata` are
   * replaced whole. With `expectedVersion`, a missing group or another version is CONFLICT.
   * `id` is always given (generated above the backend if omitted). Store `lastRolloverAt` as the
   * normalised ISO UTC string (`new Date(x).toISOString()`).
   */
  putGroup(input: GroupPut & { id: string }): Promise<Group>;
  /**
   * Groups ordered by id ascending in Unicode code point order (= UTF-8 byte order, what SQL's
   * C collation and Redis sorted sets give), keyset-paged on the id: stable while groups change.
   * See `compareCodePoints` in domain/order.ts.
   */
  listGroups(query: PageQuery): Promise<Page<Group>>;
  /** Removes the group record only. NOT_FOUND, CONFLICT. */
  deleteGroup(id: string, expectedVersion?: number): Promise<void>;
  /**
   * In one atomic write: appends `currentSessionId` (when set) to `history`, makes `newSessionId`
   * current, sets `lastRolloverAt` and `updatedAt` to now and bumps `version`.
   * Order of checks: a missing group is NOT_FOUND unless `createGroup` (then it is created with
   * `newSessionId` current and an empty history, version 1); when `newSessionId` is already current
   * the group is returned unchanged and nothing is recorded (so a retried call is harmless); then
   * `expectedVersion` (CONFLICT).
   */
  rollover(input: GroupRollover): Promise<Group>;
}
