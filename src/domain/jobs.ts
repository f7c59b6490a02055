/**
 * Scheduled jobs and their runs (SPEC §3.3). Schedule arithmetic lives in ./schedule.ts; the
 * choices SPEC leaves open are written down in docs/decisions/jobs.md.
 */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, Json, Limit, Nullable, Page, Params, Timestamp, Version } from "./schema.js";

const Closed = { additionalProperties: false } as const;

export const Schedule = Type.Union(
  [
    Type.Object(
      {
        cron: Type.String({
          minLength: 1,
          maxLength: 256,
          description: '5 fields, 6 fields (seconds first), a nickname (@daily, …) or "@every <duration>" (e.g. @every 1h30m)',
        }),
      },
      Closed,
    ),
    Type.Object({ at: Timestamp }, Closed),
  ],
  { description: "{ cron } or { at } (one instant)" },
);
export type Schedule = Static<typeof Schedule>;

export const Action = Type.Union([
  Type.Object({ type: Type.Literal("event", { description: "subscribed workers claim and run it" }) }, Closed),
  Type.Object(
    {
      type: Type.Literal("exec", { description: "the daemon runs the program itself, without a shell" }),
      argv: Type.Array(Type.String(), { minItems: 1 }),
      cwd: Type.Optional(Type.String()),
      env: Type.Optional(Type.Record(Type.String(), Type.String())),
      timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    Closed,
  ),
]);
export type Action = Static<typeof Action>;

export const MISFIRE = ["skip", "once", "all"] as const;
export const Misfire = Type.Union(MISFIRE.map((m) => Type.Literal(m)), {
  description: "slots missed while no daemon ran: skip them, one catch-up run (once), or each (all, capped)",
});
export type Misfire = Static<typeof Misfire>;

export const RUN_STATUSES = ["pending", "claimed", "succeeded", "failed", "skipped", "missed", "abandoned"] as const;
export const RunStatus = Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)));
export type RunStatus = Static<typeof RunStatus>;
/** A run in one of these states never changes again. */
export const FINISHED_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "skipped", "missed", "abandoned"];
export const isFinished = (s: RunStatus): boolean => FINISHED_STATUSES.includes(s);
/** How many claims a run gets before a released claim abandons it. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** How long a claim lasts without its daemon renewing it (SPEC §11 R12); the daemon's `claimLeaseMs`. */
export const DEFAULT_LEASE_MS = 30_000;

export const Job = Type.Object({
  id: Id,
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  schedule: Schedule,
  timezone: Type.String({ description: "IANA zone the cron is read in; the daemon's zone when saved without one" }),
  anchorAt: Type.Optional(
    Type.String({ format: "date-time", description: "@every only: the first slot; every slot is anchorAt + k·interval" }),
  ),
  enabled: Type.Boolean(),
  deleteAfterRun: Type.Boolean(),
  action: Action,
  payload: Json,
  misfire: Misfire,
  noOverlap: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Version,
  nextRunAt: Type.Optional(Timestamp),
  lastRunAt: Type.Optional(Timestamp),
  lastStatus: Type.Optional(RunStatus),
  lastError: Type.Optional(Type.String()),
});
export type Job = Static<typeof Job>;

export const Run = Type.Object({
  id: Id,
  jobId: Id,
  scheduledFor: Timestamp,
  firedAt: Timestamp,
  firedBy: Type.String({ description: "the daemon instance that fired it" }),
  status: RunStatus,
  claimedBy: Type.Optional(Type.String()),
  claimedAt: Type.Optional(Timestamp),
  claimant: Type.Optional(
    Type.Object(
      { origin: Type.String({ description: "the daemon instance that holds the claim" }), connection: Type.Optional(Type.String()) },
      { description: "who holds the claim: the daemon and its connection (R12)" },
    ),
  ),
  leaseExpiresAt: Type.Optional(
    Type.String({ format: "date-time", description: "the claim goes back to pending after this unless the claimant's daemon renews it" }),
  ),
  finishedAt: Type.Optional(Timestamp),
  error: Type.Optional(Type.String()),
  output: Type.Optional(Json),
  attempt: Type.Integer({ minimum: 1, description: "1 for the first claim; +1 each time a claim is released" }),
});
export type Run = Static<typeof Run>;

export const JobSave = Params({
  id: Type.Optional(Id),
  expectedVersion: Type.Optional(Version),
  name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  schedule: Schedule,
  timezone: Type.Optional(Type.String({ minLength: 1, description: "IANA zone (default: the daemon's)" })),
  anchorAt: Type.Optional(Timestamp),
  enabled: Type.Optional(Type.Boolean({ description: "default true" })),
  deleteAfterRun: Type.Optional(Type.Boolean({ description: "default false" })),
  action: Type.Optional(Action),
  payload: Type.Optional(Json),
  misfire: Type.Optional(Misfire),
  noOverlap: Type.Optional(Type.Boolean({ description: "default true" })),
});
export type JobSave = Static<typeof JobSave>;

export const ListJobsParams = Params({
  enabled: Type.Optional(Type.Boolean()),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type ListJobsParams = Static<typeof ListJobsParams>;

export const ListRunsParams = Params({
  jobId: Type.Optional(Id),
  status: Type.Optional(RunStatus),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type ListRunsParams = Static<typeof ListRunsParams>;

export const Worker = Type.String({ minLength: 1, maxLength: 256, description: "names the claiming worker" });

export const ClaimParams = Params({ runId: Type.Optional(Id), jobId: Type.Optional(Id), worker: Worker });
export type ClaimParams = Static<typeof ClaimParams>;

export const FinishParams = Params({
  runId: Id,
  status: Type.Union([Type.Literal("succeeded"), Type.Literal("failed")]),
  error: Type.Optional(Type.String()),
  output: Type.Optional(Json),
  worker: Type.Optional(Worker),
});
export type FinishParams = Static<typeof FinishParams>;

export const jobsMethods = table(
  method({
    name: "jobs.save",
    summary:
      "Create or replace a job (omitted fields take their defaults); computes nextRunAt. Rejects bad cron, zones and durations with INVALID_PARAMS.",
    params: JobSave,
    result: Job,
    errors: ["CONFLICT", "TOO_LARGE"],
  }),
  method({ name: "jobs.get", summary: "One job.", params: Params({ id: Id }), result: Job, errors: ["NOT_FOUND"] }),
  method({
    name: "jobs.list",
    summary: "Jobs in id order; filter by enabled.",
    params: ListJobsParams,
    result: Page(Job),
  }),
  method({
    name: "jobs.delete",
    summary: "Delete a job and its run history.",
    params: Params({ id: Id, expectedVersion: Type.Optional(Version) }),
    result: Type.Object({ deleted: Type.Literal(true) }),
    errors: ["NOT_FOUND", "CONFLICT"],
  }),
  method({
    name: "jobs.trigger",
    summary: "A run now, outside the schedule: pending, or skipped when noOverlap and a run is unfinished.",
    params: Params({ id: Id }),
    result: Run,
    errors: ["NOT_FOUND"],
  }),
  method({
    name: "runs.list",
    summary: "Runs, newest scheduledFor first; filter by jobId and status.",
    params: ListRunsParams,
    result: Page(Run),
  }),
  method({ name: "runs.get", summary: "One run.", params: Params({ id: Id }), result: Run, errors: ["NOT_FOUND"] }),
  method({
    name: "runs.claim",
    summary:
      "Take a pending run (runId; else the oldest of jobId; else the oldest event run of all) for this worker; null when none is left.",
    params: ClaimParams,
    result: Nullable(Run),
  }),
  method({
    name: "runs.finish",
    summary: "Record the outcome of a claimed run. A deleteAfterRun job is deleted with it.",
    params: FinishParams,
    result: Run,
    errors: ["NOT_FOUND", "INVALID_STATE", "CONFLICT", "TOO_LARGE"],
  }),
);
