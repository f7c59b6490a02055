/**
 * Legacy import (SPEC §7): the daemon reads another tool's files on its own host and writes them
 * through its backend. Decisions: docs/migration.md.
 */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Params } from "./schema.js";

export const LEGACY_SOURCES = ["infer", "picoclaw", "relayburn"] as const;
export type LegacySource = (typeof LEGACY_SOURCES)[number];
export const LegacySource = Type.Union(LEGACY_SOURCES.map((s) => Type.Literal(s)));

export const LegacyRoot = Type.Object(
  {
    source: LegacySource,
    path: Type.String({ minLength: 1, description: "absolute path of the tool's root folder on the daemon's host" }),
  },
  { additionalProperties: false },
);
export type LegacyRoot = Static<typeof LegacyRoot>;

/** What an import counts, per kind of record. */
export const KindCounts = Type.Object({
  imported: Type.Integer({ minimum: 0, description: "records written by this run" }),
  existing: Type.Integer({ minimum: 0, description: "records already present from an earlier (maybe interrupted) run" }),
  skipped: Type.Integer({ minimum: 0, description: "records left out (see files[].reason)" }),
});
export type KindCounts = Static<typeof KindCounts>;

export const FileOutcome = Type.Object({
  source: LegacySource,
  kind: Type.String(),
  path: Type.String(),
  status: Type.Union([Type.Literal("imported"), Type.Literal("skipped"), Type.Literal("failed")]),
  reason: Type.Optional(Type.String()),
  /** Where the file went (`<name>.migrated-<UTC stamp>`); absent on a dry run or when it stayed. */
  renamedTo: Type.Optional(Type.String()),
  /** Lines or records inside the file that were left out, with why. */
  notes: Type.Optional(Type.Array(Type.String())),
});
export type FileOutcome = Static<typeof FileOutcome>;

export const LegacyReport = Type.Object({
  dryRun: Type.Boolean(),
  stamp: Type.String({ description: "the UTC stamp used in renamed file names" }),
  roots: Type.Array(Type.Object({ source: LegacySource, path: Type.String(), found: Type.Boolean() })),
  counts: Type.Record(Type.String(), KindCounts, { description: "per kind: jobs, plans, history, sessions, messages, groups, turns" }),
  files: Type.Array(FileOutcome),
});
export type LegacyReport = Static<typeof LegacyReport>;

export const MigrateLegacyParams = Params({
  roots: Type.Optional(Type.Array(LegacyRoot, { description: "default: the daemon user's default locations" })),
  sources: Type.Optional(Type.Array(LegacySource, { description: "only these tools (default: all)" })),
  dryRun: Type.Optional(Type.Boolean({ description: "read and count, write nothing, rename nothing" })),
});
export type MigrateLegacyParams = Static<typeof MigrateLegacyParams>;

/** Sent to the calling connection while an import runs: `migrate.progress`. */
export interface MigrateProgress {
  done: number;
  total: number;
  file?: string;
}
export const MIGRATE_PROGRESS = "migrate.progress";

export const migrateMethods = table(
  method({
    name: "migrate.legacy",
    summary:
      "Import infer, picoclaw and relayburn files from this host into the backend, idempotently; each imported file is " +
      "renamed <name>.migrated-<UTC stamp>. Sends migrate.progress notifications { done, total, file } to the caller.",
    params: MigrateLegacyParams,
    result: LegacyReport,
    errors: ["INVALID_PARAMS"],
  }),
);
