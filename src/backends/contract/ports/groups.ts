/**
 * Session group storage primitives (the domain rules are in src/core/groups.ts).
 *
 * Records: groups by id. A backend keeps them and answers the reads below; it decides nothing.
 */
import type { Group } from "../../../domain/groups.js";

export interface GroupsReadPort {
  /** The stored record, or undefined. Inside a unit of work it is locked/guarded until the end. */
  group(id: string): Promise<Group | undefined>;
  /** Groups with an id after `after` (all when undefined), id ascending in code point order, at most `limit`. */
  listGroups(after: string | undefined, limit: number): Promise<Group[]>;
}

export interface GroupsWritePort {
  /** Stores `next` whole; `prev` is the stored record it replaces (undefined: a new group). */
  putGroup(next: Group, prev: Group | undefined): void;
  /** Removes the stored record. */
  deleteGroup(group: Group): void;
}
