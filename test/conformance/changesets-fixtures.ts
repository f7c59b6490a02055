/** Shared by the changeset and invocation conformance cases. */
import type { Backend } from "../../src/backends/contract.js";
import type { Change } from "../../src/domain/changes.js";

export const ODD_PLAN_IDS = ["../../etc/passwd", "telegram:123", "telegram_123", "a/b", "ünï cödé 🦊", "CON", "..", "a\\b"];

/** Every change after `from` (exclusive), oldest first. */
export async function changesSince(b: Backend, from?: string): Promise<Change[]> {
  const out: Change[] = [];
  let cursor = from;
  for (;;) {
    const { changes } = await b.changes.since(cursor, 50);
    if (changes.length === 0) return out;
    out.push(...changes);
    cursor = changes[changes.length - 1].cursor;
  }
}
