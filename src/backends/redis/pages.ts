/**
 * Keyset pages over a lexicographic index whose members name records (jobs, runs, changesets,
 * invocations). The index is read with ZRANGEBYLEX / ZREVRANGEBYLEX + LIMIT and the records with one
 * MGET, so a page costs what it returns. A member whose record went away between the two reads is
 * skipped and the walk goes on until the page is full.
 */
import type { Page } from "../contract.js";
import { encodeCursor } from "../../core/paging.js";
import type { RedisClient } from "./client.js";

export interface LexPageQuery<T> {
  index: string;
  /** Ascending or descending member (byte) order. */
  order: "asc" | "desc";
  /** The member the previous page ended with (exclusive); undefined: from the start. */
  after?: string;
  limit: number;
  recordKey: (member: string) => string;
  parse: (raw: string) => T;
  cursorOf: (item: T) => (string | number)[];
}

export async function lexPage<T>(client: RedisClient, q: LexPageQuery<T>): Promise<Page<T>> {
  const asc = q.order === "asc";
  let from = q.after === undefined ? (asc ? "-" : "+") : "(" + q.after;
  const end = asc ? "+" : "-";
  const items: T[] = [];
  let more = false;
  for (;;) {
    const members = await client.call((r) =>
      asc ? r.zrangebylex(q.index, from, end, "LIMIT", 0, q.limit + 1) : r.zrevrangebylex(q.index, from, end, "LIMIT", 0, q.limit + 1),
    );
    if (members.length === 0) break;
    const raws = await client.call((r) => r.mget(...members.map(q.recordKey)));
    for (const raw of raws) {
      if (raw === null) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(q.parse(raw));
    }
    if (more || members.length <= q.limit) break;
    from = "(" + members[members.length - 1];
  }
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor(q.cursorOf(last)) : null };
}
