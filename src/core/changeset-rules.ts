/**
 * Changeset and invocation record rules: status transitions, entry stamping, invocation defaults,
 * listing keys, restore checks. Pure; the caller stores the result.
 */
import type { ChangeEntry, ChangeSet, ChangeSetStatus, ToolInvocation } from "../domain/changesets.js";
import { conflict, invalidParams, invalidState } from "../domain/errors.js";
import type { InvocationInput, NewEntry, StoredChangeset } from "../backends/contract.js";

export function newChangeset(input: { id: string; planId: string }, now: string): StoredChangeset {
  return { id: input.id, planId: input.planId, status: "open", createdAt: now, updatedAt: now, lastSeq: 0 };
}

/** The record callers see: without the private lastSeq counter. */
export const publicChangeset = ({ lastSeq: _seq, ...cs }: StoredChangeset): ChangeSet => cs;

/**
 * Whether moving `cs` to `status` is a change (true), a repeat of the current status (false), or
 * forbidden (throws INVALID_STATE). Only open → applied | discarded moves.
 */
export function checkTransition(cs: ChangeSet, status: ChangeSetStatus): boolean {
  if (cs.status === status) return false;
  if (cs.status === "open" && status !== "open") return true;
  throw invalidState(`changeset ${JSON.stringify(cs.id)} is ${cs.status}; it cannot become ${status}`, {
    id: cs.id,
    status: cs.status,
    requested: status,
  });
}

export function checkOpen(cs: ChangeSet): void {
  if (cs.status !== "open") {
    throw invalidState(`changeset ${JSON.stringify(cs.id)} is ${cs.status}; entries can only be recorded while it is open`, {
      id: cs.id,
      status: cs.status,
    });
  }
}

/** A stored entry: the caller's fields (undefined ones dropped), then what the store assigns. */
export function stampEntry(e: NewEntry, cs: ChangeSet, seq: number, createdAt: string): ChangeEntry {
  const entry: ChangeEntry = { id: e.id, changesetId: cs.id, planId: cs.planId, seq, path: e.path, operation: e.operation, createdAt };
  if (e.fromPath !== undefined) entry.fromPath = e.fromPath;
  if (e.beforeHash !== undefined) entry.beforeHash = e.beforeHash;
  if (e.afterHash !== undefined) entry.afterHash = e.afterHash;
  if (e.diff !== undefined) entry.diff = e.diff;
  if (e.invocationId !== undefined) entry.invocationId = e.invocationId;
  return entry;
}

const OPTIONAL = ["changesetId", "sessionId", "result", "error", "providerMetadata"] as const;

/**
 * The record `invocations.save` stores, given the stored one (if any) and the current time. Throws
 * CONFLICT when `existing` belongs to another plan. See ChangesetStore.saveInvocation for defaults.
 */
export function buildInvocation(input: InvocationInput, existing: ToolInvocation | undefined, now: string): ToolInvocation {
  if (existing && existing.planId !== input.planId) {
    throw conflict(`invocation ${JSON.stringify(input.id)} belongs to plan ${JSON.stringify(existing.planId)}`, {
      id: input.id,
      planId: existing.planId,
    });
  }
  const inv: ToolInvocation = {
    id: input.id,
    planId: input.planId,
    toolName: input.toolName,
    arguments: input.arguments,
    status: input.status,
    startedAt: input.startedAt ?? existing?.startedAt ?? now,
    changeIds: input.changeIds ?? [],
    resourceRefs: input.resourceRefs ?? [],
  };
  for (const key of OPTIONAL) {
    if (input[key] !== undefined) (inv as Record<string, unknown>)[key] = input[key];
  }
  const finishedAt = input.finishedAt ?? (input.status === "running" ? undefined : existing?.finishedAt ?? now);
  if (finishedAt !== undefined) inv.finishedAt = finishedAt;
  const durationMs = input.durationMs ?? (finishedAt === undefined ? undefined : Math.max(0, Date.parse(finishedAt) - Date.parse(inv.startedAt)));
  if (durationMs !== undefined) inv.durationMs = durationMs;
  return inv;
}

/** Listing keys: ascending by a time, then id, in code point order; the cursor is that pair. */
export const changesetKey = (c: ChangeSet): [string, string] => [c.createdAt, c.id];
export const invocationKey = (i: ToolInvocation): [string, string] => [i.startedAt, i.id];

/**
 * A restored changeset's entries must be its own (changesetId, planId) with seqs 1, 2, … n, dense
 * like every recorded changeset's; its lastSeq becomes n.
 */
export function restoredChangeset(cs: ChangeSet, entries: readonly ChangeEntry[]): StoredChangeset {
  entries.forEach((e, i) => {
    if (e.seq !== i + 1 || e.changesetId !== cs.id || e.planId !== cs.planId) {
      throw invalidParams(
        `restored entry ${i} of changeset ${JSON.stringify(cs.id)} must belong to it and plan ${JSON.stringify(cs.planId)} with seq ${i + 1}`,
        `/entries/${i}`,
      );
    }
  });
  const { id, planId, status, createdAt, updatedAt } = cs;
  return { id, planId, status, createdAt, updatedAt, lastSeq: entries.length };
}
