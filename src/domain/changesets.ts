/**
 * Changesets and tool invocations (SPEC §3.6): the file edits a plan makes, grouped into changesets
 * of ordered entries, and the log of tool calls that produced them. Decisions where the SPEC is
 * silent are in docs/decisions/changesets.md.
 */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, Json, JsonObject, Limit, Page, Params, Timestamp } from "./schema.js";

const lit = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const CHANGESET_STATUSES = ["open", "applied", "discarded"] as const;
export type ChangeSetStatus = (typeof CHANGESET_STATUSES)[number];
export const ChangeSetStatus = lit(CHANGESET_STATUSES);

export const OPERATIONS = ["create", "modify", "delete", "rename"] as const;
export type Operation = (typeof OPERATIONS)[number];
export const Operation = lit(OPERATIONS);

export const INVOCATION_STATUSES = ["running", "succeeded", "failed"] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];
export const InvocationStatus = lit(INVOCATION_STATUSES);

/** A file path as the agent saw it. Data, never opened by the daemon. */
const FilePath = Type.String({ minLength: 1, maxLength: 4096, description: "a file path (data; never opened)" });
const Hash = Type.String({ minLength: 1, maxLength: 256, description: 'a content hash, e.g. "sha256:…"' });

const ChangeSetFields = {
  id: Id,
  planId: Id,
  status: ChangeSetStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
export const ChangeSet = Type.Object(ChangeSetFields);
export type ChangeSet = Static<typeof ChangeSet>;

/** What a caller records; the store adds id, changesetId, planId, seq and createdAt. */
const EntryFields = {
  path: FilePath,
  operation: Operation,
  fromPath: Type.Optional(
    Type.String({ minLength: 1, maxLength: 4096, description: "the old path; required for rename, refused otherwise" }),
  ),
  beforeHash: Type.Optional(Hash),
  afterHash: Type.Optional(Hash),
  diff: Type.Optional(Type.String({ description: "unified diff text, stored byte for byte" })),
  invocationId: Type.Optional(Id),
};
export const EntryInput = Params(EntryFields);
export type EntryInput = Static<typeof EntryInput>;

export const ChangeEntry = Type.Object({
  id: Id,
  changesetId: Id,
  planId: Id,
  seq: Type.Integer({ minimum: 1, description: "per changeset, from 1, dense, in record order" }),
  ...EntryFields,
  createdAt: Timestamp,
});
export type ChangeEntry = Static<typeof ChangeEntry>;

export const ChangeSetWithEntries = Type.Object({
  ...ChangeSetFields,
  entries: Type.Array(ChangeEntry, { description: "every entry, ascending seq" }),
});
export type ChangeSetWithEntries = Static<typeof ChangeSetWithEntries>;

export const RecordResult = Type.Object({
  changesetId: Id,
  firstSeq: Type.Integer({ minimum: 1 }),
  lastSeq: Type.Integer({ minimum: 1 }),
  entryIds: Type.Array(Id, { description: "the new entries' ids, in seq order" }),
});
export type RecordResult = Static<typeof RecordResult>;

export const OperationCounts = Type.Object({
  create: Type.Integer({ minimum: 0 }),
  modify: Type.Integer({ minimum: 0 }),
  delete: Type.Integer({ minimum: 0 }),
  rename: Type.Integer({ minimum: 0 }),
});
export type OperationCounts = Static<typeof OperationCounts>;

export const ChangeSetSummary = Type.Object({
  id: Id,
  planId: Id,
  status: ChangeSetStatus,
  entries: Type.Integer({ minimum: 0 }),
  operations: OperationCounts,
  paths: Type.Array(Type.String(), { description: "every path and rename source touched, once each, sorted" }),
});
export type ChangeSetSummary = Static<typeof ChangeSetSummary>;

export const ToolInvocation = Type.Object({
  id: Id,
  planId: Id,
  changesetId: Type.Optional(Id),
  sessionId: Type.Optional(Id),
  toolName: Type.String({ minLength: 1, maxLength: 256 }),
  arguments: Json,
  result: Type.Optional(Json),
  status: InvocationStatus,
  error: Type.Optional(Type.String()),
  startedAt: Timestamp,
  finishedAt: Type.Optional(Timestamp),
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  changeIds: Type.Array(Id, { description: "ids of the change entries this call made" }),
  resourceRefs: Type.Array(Type.String(), { description: "URIs or paths of what the call read or touched" }),
  providerMetadata: Type.Optional(JsonObject),
});
export type ToolInvocation = Static<typeof ToolInvocation>;

/**
 * invocations.save replaces the whole record. Omitted: id → a new ULID; startedAt → the stored
 * value, else now; finishedAt → for succeeded/failed, the stored value, else now; durationMs →
 * finishedAt − startedAt when the store fills finishedAt in; changeIds/resourceRefs → [].
 */
export const InvocationSave = Params({
  id: Type.Optional(Id),
  planId: Id,
  changesetId: Type.Optional(Id),
  sessionId: Type.Optional(Id),
  toolName: Type.String({ minLength: 1, maxLength: 256 }),
  arguments: Json,
  result: Type.Optional(Json),
  status: InvocationStatus,
  error: Type.Optional(Type.String()),
  startedAt: Type.Optional(Timestamp),
  finishedAt: Type.Optional(Timestamp),
  durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
  changeIds: Type.Optional(Type.Array(Id)),
  resourceRefs: Type.Optional(Type.Array(Type.String())),
  providerMetadata: Type.Optional(JsonObject),
});
export type InvocationSave = Static<typeof InvocationSave>;

/**
 * `changesets.summarize` is this projection of `changesets.get`, computed above the backends so that
 * every backend answers it the same way. Paths: each entry's path and a rename's fromPath, once
 * each, sorted by UTF-16 code units (JavaScript's default order).
 */
export function summarize(cs: ChangeSetWithEntries): ChangeSetSummary {
  const operations: OperationCounts = { create: 0, modify: 0, delete: 0, rename: 0 };
  const paths = new Set<string>();
  for (const e of cs.entries) {
    operations[e.operation]++;
    paths.add(e.path);
    if (e.fromPath !== undefined) paths.add(e.fromPath);
  }
  return { id: cs.id, planId: cs.planId, status: cs.status, entries: cs.entries.length, operations, paths: [...paths].sort() };
}

const ForPlan = Params({ planId: Id });
const PageForPlan = Params({ planId: Id, cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) });
const ById = Params({ id: Id });
const Count = Type.Integer({ minimum: 0 });

export const changesetsMethods = table(
  method({
    name: "changesets.start",
    summary: "Open a new, empty changeset for a plan. The plan link is stored at once.",
    params: ForPlan,
    result: ChangeSet,
  }),
  method({
    name: "changesets.record",
    summary: "Append entries to an open changeset, all or nothing; seq continues densely from the last record.",
    params: Params({ changesetId: Id, entries: Type.Array(EntryInput, { minItems: 1, maxItems: 1000 }) }),
    result: RecordResult,
    errors: ["NOT_FOUND", "INVALID_STATE", "TOO_LARGE"],
  }),
  method({
    name: "changesets.get",
    summary: "One changeset with all its entries in seq order.",
    params: ById,
    result: ChangeSetWithEntries,
    errors: ["NOT_FOUND"],
  }),
  method({
    name: "changesets.listForPlan",
    summary: "A plan's changesets, oldest first (createdAt, then id), without entries.",
    params: PageForPlan,
    result: Page(ChangeSet),
  }),
  method({
    name: "changesets.summarize",
    summary: "Entry counts per operation and the sorted set of paths touched (rename sources included).",
    params: ById,
    result: ChangeSetSummary,
    errors: ["NOT_FOUND"],
  }),
  method({
    name: "changesets.setStatus",
    summary: "open → applied or discarded. Setting the current status again is a no-op; leaving applied or discarded is INVALID_STATE.",
    params: Params({ id: Id, status: ChangeSetStatus }),
    result: ChangeSet,
    errors: ["NOT_FOUND", "INVALID_STATE"],
  }),
  method({
    name: "changesets.deleteForPlan",
    summary: "Delete every changeset of a plan and their entries (on cancel or failed apply). Invocations are kept.",
    params: ForPlan,
    result: Type.Object({ changesets: Count, entries: Count }),
  }),
  method({
    name: "invocations.save",
    summary: "Create or replace a tool invocation by id. Its planId never changes (CONFLICT).",
    params: InvocationSave,
    result: ToolInvocation,
    errors: ["CONFLICT", "TOO_LARGE"],
  }),
  method({ name: "invocations.get", summary: "One tool invocation.", params: ById, result: ToolInvocation, errors: ["NOT_FOUND"] }),
  method({
    name: "invocations.listForPlan",
    summary: "A plan's tool invocations, oldest startedAt first (then id).",
    params: PageForPlan,
    result: Page(ToolInvocation),
  }),
  method({
    name: "invocations.deleteForPlan",
    summary: "Delete every tool invocation of a plan.",
    params: ForPlan,
    result: Type.Object({ invocations: Count }),
  }),
);
