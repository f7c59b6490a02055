/** Shell history rules: stamping entries, the idempotency window, checks of restored entries. Pure. */
import type { HistoryEntry, HistoryEntryInput } from "../domain/history.js";
import { invalidParams } from "../domain/errors.js";
import { IDEMPOTENCY_KEYS_KEPT } from "./conversations.js";
import { clone } from "../domain/clone.js";

/**
 * The idempotency window of history appends: the keys of the newest 1,000 keyed appends to the log
 * are remembered, on every backend (the same number as a session's window).
 */
export const HISTORY_KEYS_KEPT = IDEMPOTENCY_KEYS_KEPT;

/** Entries as stored: seqs from `firstSeq`, the caller's createdAt normalised to ISO UTC, else `now`. */
export function stampEntries(inputs: readonly HistoryEntryInput[], firstSeq: number, now: string): HistoryEntry[] {
  return inputs.map((input, i) => {
    const { createdAt, ...fields } = clone(input);
    return { seq: firstSeq + i, ...fields, createdAt: createdAt === undefined ? now : new Date(createdAt).toISOString() };
  });
}

/** Restored entries must have integer seqs ascending from 1 (gaps allowed). */
export function checkRestoredEntries(entries: readonly HistoryEntry[]): void {
  let prev = 0;
  for (const [i, e] of entries.entries()) {
    if (!Number.isSafeInteger(e.seq) || e.seq <= prev) {
      throw invalidParams(`restored history entry ${i} has seq ${e.seq}; seqs must be integers ascending above ${prev}`, `/entries/${i}/seq`);
    }
    prev = e.seq;
  }
}
