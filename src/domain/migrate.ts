/**
 * Legacy import (SPEC §7): the daemon reads another tool's files on its own host and writes them
 * through its backend. Decisions: docs/migration.md.
 */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Params } from "./schema.js";

export const LEGACY_SOURCES = ["infer", "picoclaw", "relayburn", "claude-code", "codex"] as const;
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
  skipped: Type.Integer({ minimum: 0, description: "records left out (see files[].reason and notes)" }),
  kept: Type.Integer({ minimum: 0, description: "records of a kind agentstate does not store, left in the file named by files[].keptIn" }),
});
export type KindCounts = Static<typeof KindCounts>;

export const FileOutcome = Type.Object({
  source: LegacySource,
  kind: Type.String(),
  path: Type.String(),
  /**
   * imported: every line was imported or deliberately classified; partial: what could be read was
   * imported, but the lines in `unreadLines` could not be (the file stays where it is).
   */
  status: Type.Union([Type.Literal("imported"), Type.Literal("partial"), Type.Literal("skipped"), Type.Literal("failed")]),
  reason: Type.Optional(Type.String()),
  /** Where the file went (`<name>.migrated-<UTC stamp>`); absent on a dry run, when it stayed, or for a tool that still owns it. */
  renamedTo: Type.Optional(Type.String()),
  /** Lines or records inside the file that were left out, with why. */
  notes: Type.Optional(Type.Array(Type.String())),
  /** 1-based numbers of the lines that could not be read; the file is not renamed while there are any. */
  unreadLines: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
  /** Records of kinds agentstate does not store, counted by kind; they stay in `keptIn`. */
  kept: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0 }))),
  /** The file that holds the `kept` records: the renamed file, or the file itself when it stays. */
  keptIn: Type.Optional(Type.String()),
});
export type FileOutcome = Static<typeof FileOutcome>;

export const LegacyReport = Type.Object({
  dryRun: Type.Boolean(),
  stamp: Type.String({ description: "the UTC stamp used in renamed file names" }),
  roots: Type.Array(Type.Object({ source: LegacySource, path: Type.String(), found: Type.Boolean() })),
  counts: Type.Record(Type.String(), KindCounts, {
    description: "per kind: jobs, plans, history, sessions, messages, groups, turns, stamps, and the kinds kept in files (compactions, relationships, …)",
  }),
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
      "Import infer, picoclaw, relayburn, Claude Code and Codex files from this host into the backend, idempotently. A file " +
      "whose every line was imported or classified is renamed <name>.migrated-<UTC stamp> (never the Claude Code and Codex " +
      "transcripts, which those tools still own). Sends migrate.progress notifications { done, total, file } to the caller.",
    params: MigrateLegacyParams,
    result: LegacyReport,
    errors: ["INVALID_PARAMS"],
  }),
);
