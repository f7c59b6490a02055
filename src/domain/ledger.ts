/**
 * Usage ledger (SPEC §3.7): one record per model turn, keyed by idHash so that the same turn
 * reported by any number of hosts is stored once. Decisions behind the shapes: docs/decisions/ledger.md.
 */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, JsonObject, Limit, Nullable, Page, Params, Timestamp } from "./schema.js";

export { idHash, canonicalTimestamp, canonicalTimeZone, dayFunction, dayOf } from "./ledger-keys.js";

/** Most turns one ledger.ingest may carry (INVALID_PARAMS beyond, from the schema). */
export const MAX_INGEST_TURNS = 10_000;

const Count = Type.Integer({ minimum: 0 });
/** Names that are data, not prose: the same rules as ids (1–256 bytes, no control characters). */
const Name = (description: string) => Type.String({ format: "agentstate-id", minLength: 1, maxLength: 256, description });

export const Usage = Type.Object(
  {
    input: Type.Integer({ minimum: 0, description: "input tokens, cache reads and writes excluded" }),
    output: Type.Integer({ minimum: 0, description: "output tokens, reasoning included if the provider counts it so" }),
    reasoning: Type.Optional(Type.Integer({ minimum: 0, description: "reasoning tokens reported separately" })),
    cacheRead: Type.Optional(Type.Integer({ minimum: 0, description: "input tokens served from the prompt cache" })),
    cacheCreate: Type.Optional(Type.Integer({ minimum: 0, description: "input tokens written to the prompt cache" })),
  },
  { additionalProperties: false },
);
export type Usage = Static<typeof Usage>;

const TurnFields = {
  source: Name("the tool that produced the turn: claude, codex, …"),
  sessionId: Id,
  messageId: Id,
  turnIndex: Type.Optional(Type.Integer({ minimum: 0, description: "position of the turn in its session, if known" })),
  ts: Timestamp,
  model: Name("the model that served the turn"),
  project: Type.Optional(Name("the project (usually a working directory) the turn belongs to")),
  host: Type.Optional(Name("the host that recorded the turn")),
  usage: Usage,
  costUsd: Type.Optional(Type.Number({ minimum: 0, description: "cost of the turn in US dollars, if known" })),
  toolCalls: Type.Optional(Type.Integer({ minimum: 0, description: "how many tool calls the turn made" })),
  extra: Type.Optional(JsonObject),
};

/** A turn as a caller reports it. Closed: anything else belongs in `extra`. */
export const Turn = Type.Object(TurnFields, { additionalProperties: false });
export type Turn = Static<typeof Turn>;

/** A turn as stored and returned: the input (ts in canonical form) plus its key. */
export const StoredTurn = Type.Object({
  ...TurnFields,
  idHash: Type.String({ pattern: "^[0-9a-f]{16}$", description: "first 16 hex digits of sha256(source|sessionId|messageId)" }),
});
export type StoredTurn = Static<typeof StoredTurn>;

export const IngestParams = Params({ turns: Type.Array(Turn, { maxItems: MAX_INGEST_TURNS }) });
export type IngestParams = Static<typeof IngestParams>;
export const IngestResult = Type.Object({
  inserted: Count,
  duplicates: Type.Integer({ minimum: 0, description: "turns whose idHash was already stored or appeared earlier in the batch" }),
});
export type IngestResult = Static<typeof IngestResult>;

/** Filters shared by query and summary. The range is half-open: since <= ts < until. */
const FilterFields = {
  since: Type.Optional(Type.String({ format: "date-time", description: "inclusive lower bound on ts" })),
  until: Type.Optional(Type.String({ format: "date-time", description: "exclusive upper bound on ts" })),
  sessionId: Type.Optional(Id),
  project: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  host: Type.Optional(Type.String()),
};

export const LedgerQueryParams = Params({ ...FilterFields, cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) });
export type LedgerQueryParams = Static<typeof LedgerQueryParams>;

/** What a summary can group by, and the row field each one fills. */
export const GROUP_KEYS = ["model", "day", "session", "project", "source", "host"] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];
export const GROUP_FIELDS = {
  model: "model",
  day: "day",
  session: "sessionId",
  project: "project",
  source: "source",
  host: "host",
} as const satisfies Record<GroupKey, string>;

export const GroupBy = Type.Array(Type.Union(GROUP_KEYS.map((k) => Type.Literal(k))), {
  uniqueItems: true,
  description: "dimensions, in the order rows are sorted by; [] gives one row of totals",
});

export const SummaryParams = Params({
  ...FilterFields,
  groupBy: GroupBy,
  timezone: Type.Optional(Type.String({ description: "IANA zone whose calendar days `day` groups by (default UTC)" })),
});
export type SummaryParams = Static<typeof SummaryParams>;

/** The sums a summary row carries. Absent usage fields and absent costUsd count as 0. */
export const SummaryTotals = Type.Object({
  turns: Count,
  inputTokens: Count,
  outputTokens: Count,
  reasoningTokens: Count,
  cacheReadTokens: Count,
  cacheCreateTokens: Count,
  costUsd: Type.Number({ minimum: 0, description: "sum of costUsd over the turns that carry one" }),
  pricedTurns: Type.Integer({ minimum: 0, description: "turns that carried costUsd; less than turns means costUsd is a lower bound" }),
});
export type SummaryTotals = Static<typeof SummaryTotals>;

/** One group: the key fields named by groupBy (only those), then the sums. */
export const SummaryRow = Type.Object({
  model: Type.Optional(Type.String()),
  day: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "YYYY-MM-DD in the summary's time zone" })),
  sessionId: Type.Optional(Type.String()),
  project: Type.Optional(Nullable(Type.String({ description: "null for turns without a project" }))),
  source: Type.Optional(Type.String()),
  host: Type.Optional(Nullable(Type.String({ description: "null for turns without a host" }))),
  ...SummaryTotals.properties,
});
export type SummaryRow = Static<typeof SummaryRow>;

export const SummaryResult = Type.Object({
  groupBy: GroupBy,
  timezone: Type.String({ description: "the zone days were computed in, as resolved" }),
  rows: Type.Array(SummaryRow),
  totals: SummaryTotals,
});
export type SummaryResult = Static<typeof SummaryResult>;

export const emptyTotals = (): SummaryTotals => ({
  turns: 0, inputTokens: 0, outputTokens: 0, reasoningTokens: 0, cacheReadTokens: 0, cacheCreateTokens: 0, costUsd: 0, pricedTurns: 0,
});

/** Adds `from`'s sums into `into` (which it returns). */
export function addTotals(into: SummaryTotals, from: SummaryTotals): SummaryTotals {
  for (const k of Object.keys(into) as (keyof SummaryTotals)[]) into[k] += from[k];
  return into;
}

export const ledgerMethods = table(
  method({
    name: "ledger.ingest",
    summary: `Store turns, deduplicated by idHash: a turn already stored (or earlier in the batch) is a duplicate and changes nothing. All or nothing; at most ${MAX_INGEST_TURNS} turns.`,
    params: IngestParams,
    result: IngestResult,
    errors: ["TOO_LARGE"],
  }),
  method({
    name: "ledger.query",
    summary: "Turns with since <= ts < until matching every given filter, oldest first (ties by idHash); keyset-paged.",
    params: LedgerQueryParams,
    result: Page(StoredTurn),
  }),
  method({
    name: "ledger.summary",
    summary: "Token sums, turn counts and cost of the turns with since <= ts < until, grouped by groupBy; rows sorted by their key fields, null first.",
    params: SummaryParams,
    result: SummaryResult,
  }),
);
