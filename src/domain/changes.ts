/** The change log (SPEC §4): one record per affected record, written atomically with the change. */
import { Type, type Static } from "@sinclair/typebox";
import { Json, Timestamp } from "./schema.js";

export const DOMAINS = ["sessions", "groups", "jobs", "runs", "plans", "history", "changesets", "ledger", "checkpoints"] as const;
export type Domain = (typeof DOMAINS)[number];

export const CHANGE_TYPES = [
  "session.created", "session.updated", "session.deleted", "message.appended",
  "session.truncated", "session.compacted",
  "group.saved", "group.deleted",
  "job.saved", "job.deleted",
  "run.fired", "run.claimed", "run.finished",
  "plan.saved", "plan.deleted",
  "history.appended",
  "changeset.started", "changeset.recorded", "changeset.deleted",
  "invocation.saved", "invocation.deleted",
  "ledger.ingested",
  "checkpoint.saved", "checkpoint.deleted",
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export const Change = Type.Object({
  cursor: Type.String({ description: "opaque, increases monotonically per backend" }),
  at: Timestamp,
  origin: Type.String({ description: "the daemon instance that wrote it" }),
  domain: Type.Union(DOMAINS.map((d) => Type.Literal(d))),
  type: Type.Union(CHANGE_TYPES.map((t) => Type.Literal(t))),
  id: Type.String(),
  version: Type.Optional(Type.Integer()),
  data: Type.Optional(Json),
});
export type Change = Static<typeof Change>;

/** What a store hands to the change log; cursor, at and origin are filled in by the log. */
export type ChangeInput = Omit<Change, "cursor" | "at" | "origin">;
