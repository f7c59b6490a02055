/** Group record rules: put, rollover, restore. Pure; the caller stores the result. */
import type { Group, GroupPut, GroupRollover } from "../domain/groups.js";
import { conflict, invalidParams } from "../domain/errors.js";
import { checkVersion } from "./sessions.js";

const iso = (t: string): string => new Date(t).toISOString();

export function missingWithVersion(kind: string, id: string, expected: number): never {
  throw conflict(`${kind} ${JSON.stringify(id)} does not exist, so it is not at version ${expected}`, {
    expectedVersion: expected,
    actualVersion: null,
  });
}

/** The group after `groups.put`; see GroupStore.putGroup. Throws CONFLICT before anything changes. */
export function putGroupRecord(existing: Group | undefined, input: GroupPut & { id: string }, now: string): Group {
  if (!existing) {
    if (input.expectedVersion !== undefined) missingWithVersion("group", input.id, input.expectedVersion);
    const g: Group = { id: input.id, history: input.history ?? [], metadata: input.metadata ?? {}, createdAt: now, updatedAt: now, version: 1 };
    if (input.currentSessionId != null) g.currentSessionId = input.currentSessionId;
    if (input.lastRolloverAt != null) g.lastRolloverAt = iso(input.lastRolloverAt);
    return g;
  }
  checkVersion("group", existing, input.expectedVersion);
  const next: Group = { ...existing, version: existing.version + 1, updatedAt: now };
  if (input.currentSessionId === null) delete next.currentSessionId;
  else if (input.currentSessionId !== undefined) next.currentSessionId = input.currentSessionId;
  if (input.lastRolloverAt === null) delete next.lastRolloverAt;
  else if (input.lastRolloverAt !== undefined) next.lastRolloverAt = iso(input.lastRolloverAt);
  if (input.history !== undefined) next.history = input.history;
  if (input.metadata !== undefined) next.metadata = input.metadata;
  return next;
}

/**
 * The group after `groups.rollover`, with `changed: false` when newSessionId is already current.
 * Pass `existing` undefined only when `createGroup` is set: the caller raises NOT_FOUND otherwise.
 */
export function rolloverRecord(existing: Group | undefined, input: GroupRollover, now: string): { group: Group; changed: boolean } {
  if (!existing) {
    if (input.expectedVersion !== undefined) missingWithVersion("group", input.id, input.expectedVersion);
    const group: Group = {
      id: input.id, currentSessionId: input.newSessionId, history: [], lastRolloverAt: now, metadata: {},
      createdAt: now, updatedAt: now, version: 1,
    };
    return { group, changed: true };
  }
  if (existing.currentSessionId === input.newSessionId) return { group: existing, changed: false };
  checkVersion("group", existing, input.expectedVersion);
  const history = existing.currentSessionId === undefined ? existing.history : [...existing.history, existing.currentSessionId];
  const group: Group = {
    ...existing, currentSessionId: input.newSessionId, history, lastRolloverAt: now, updatedAt: now, version: existing.version + 1,
  };
  return { group, changed: true };
}

/** A restored record must carry a positive integer version (everything else is as the source had it). */
export function checkRestoredVersion(kind: string, record: { id: string; version: number }): void {
  if (!Number.isInteger(record.version) || record.version < 1) {
    throw invalidParams(`restored ${kind} ${JSON.stringify(record.id)} has version ${record.version}; versions start at 1`, "/version");
  }
}
