/** Turns shared by the ledger conformance cases. Costs are multiples of 1/8, exact in binary. */
import type { Backend } from "../../src/backends/contract.js";
import type { Turn } from "../../src/domain/ledger.js";

export const turn = (messageId: string, over: Partial<Turn> = {}): Turn => ({
  source: "claude",
  sessionId: "s1",
  messageId,
  ts: "2026-03-01T10:00:00.000Z",
  model: "opus",
  usage: { input: 10, output: 5 },
  ...over,
});

/**
 * Six turns over three UTC days, two models, three sessions; turns 5 and 6 have no project and no host,
 * turn 4 has no cost. Hand-computed sums in the summary cases are over these.
 */
export const SIX: Turn[] = [
  turn("t1", { ts: "2026-03-01T09:00:00.000Z", model: "opus", sessionId: "s1", project: "p1", source: "claude", host: "h1", usage: { input: 100, output: 10, cacheRead: 1000 }, costUsd: 0.5 }),
  turn("t2", { ts: "2026-03-01T10:00:00.000Z", model: "opus", sessionId: "s1", project: "p1", source: "claude", host: "h1", usage: { input: 200, output: 20, reasoning: 5, cacheRead: 2000, cacheCreate: 50 }, costUsd: 0.25 }),
  turn("t3", { ts: "2026-03-01T23:59:59.999Z", model: "sonnet", sessionId: "s2", project: "p2", source: "codex", host: "h2", usage: { input: 300, output: 30 }, costUsd: 0.125 }),
  turn("t4", { ts: "2026-03-02T00:00:00.000Z", model: "sonnet", sessionId: "s2", project: "p2", source: "codex", host: "h2", usage: { input: 400, output: 40, reasoning: 7 } }),
  turn("t5", { ts: "2026-03-02T12:00:00.000Z", model: "opus", sessionId: "s3", usage: { input: 500, output: 50, cacheCreate: 100 }, costUsd: 1 }),
  turn("t6", { ts: "2026-03-03T01:00:00.000Z", model: "opus", sessionId: "s3", usage: { input: 600, output: 60, cacheRead: 3000 }, costUsd: 2 }),
];

/** Sums in SummaryTotals order: turns, input, output, reasoning, cacheRead, cacheCreate, costUsd, pricedTurns. */
export const sums = (
  turns: number, inputTokens: number, outputTokens: number, reasoningTokens: number,
  cacheReadTokens: number, cacheCreateTokens: number, costUsd: number, pricedTurns: number,
) => ({ turns, inputTokens, outputTokens, reasoningTokens, cacheReadTokens, cacheCreateTokens, costUsd, pricedTurns });

/** Every turn matching a query, following nextCursor to the end. */
export async function queryAll(b: Backend, q: Omit<Parameters<Backend["ledger"]["query"]>[0], "limit" | "cursor"> = {}, limit = 1000) {
  const items = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await b.ledger.query({ ...q, limit, cursor });
    if (page.items.length > limit) throw new Error(`page of ${page.items.length} exceeds limit ${limit}`);
    if (page.nextCursor !== null && page.items.length === 0) throw new Error("an empty page carried a nextCursor");
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    if (++pages > 10_000) throw new Error("paging does not end");
  } while (cursor);
  return items;
}
