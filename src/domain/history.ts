/** Shell history (SPEC §3.5): commands in the order they were appended, newest N kept. */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, Limit, Page, Params, Timestamp } from "./schema.js";

/** The largest batch one history.append takes: a whole legacy history file in one call. */
export const MAX_HISTORY_BATCH = 10_000;

const EntryFields = {
  command: Type.String({ description: "any string; newlines, backslashes and tabs are kept exactly" }),
  cwd: Type.Optional(Type.String()),
  exitCode: Type.Optional(Type.Integer()),
  sessionId: Type.Optional(Id),
  host: Type.Optional(Type.String()),
};

export const HistoryEntryInput = Type.Object(
  { ...EntryFields, createdAt: Type.Optional(Timestamp) },
  { additionalProperties: false, description: "createdAt defaults to the time of the append (importers pass the original)" },
);
export type HistoryEntryInput = Static<typeof HistoryEntryInput>;

export const HistoryEntry = Type.Object({
  seq: Type.Integer({ minimum: 1, description: "assigned by the store, increasing, never reused" }),
  ...EntryFields,
  createdAt: Timestamp,
});
export type HistoryEntry = Static<typeof HistoryEntry>;

export const HistoryAppend = Params({
  entries: Type.Array(HistoryEntryInput, { minItems: 1, maxItems: MAX_HISTORY_BATCH }),
  idempotencyKey: Type.Optional(Id),
});
export type HistoryAppend = Static<typeof HistoryAppend>;

export const HistoryAppendResult = Type.Object({ firstSeq: Type.Integer(), lastSeq: Type.Integer() });
export type HistoryAppendResult = Static<typeof HistoryAppendResult>;

export const ListHistoryParams = Params({
  limit: Type.Optional(Limit),
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1, description: "only entries with a lower seq" })),
  contains: Type.Optional(Type.String({ minLength: 1, description: "literal, case-sensitive substring of the command" })),
  cursor: Type.Optional(Cursor),
});
export type ListHistoryParams = Static<typeof ListHistoryParams>;

export const historyMethods = table(
  method({
    name: "history.append",
    summary: "Append entries (1–10,000), all or nothing; seqs are assigned in order. A repeated idempotencyKey writes nothing.",
    params: HistoryAppend,
    result: HistoryAppendResult,
    errors: ["TOO_LARGE"],
  }),
  method({
    name: "history.list",
    summary:
      "The newest `limit` matching entries (before beforeSeq/cursor), oldest first. nextCursor pages further back in time.",
    params: ListHistoryParams,
    result: Page(HistoryEntry),
  }),
);
