/**
 * The YAML file of one job, `schedules/<encodeId(id)>.yaml`, which a person may edit:
 *
 *     id: morning-brief
 *     name: Morning brief
 *     schedule:
 *       cron: 0 9 * * 1-5
 *     timezone: Europe/London
 *     enabled: true
 *     deleteAfterRun: false
 *     action:
 *       type: event
 *     payload:
 *       prompt: Summarise my inbox
 *     misfire: once
 *     noOverlap: true
 *     createdAt: 2026-03-01T12:00:00.000Z
 *     updatedAt: 2026-03-01T12:00:00.000Z
 *     version: 1
 *
 * Only the definition: bookkeeping (nextRunAt, lastRunAt, …) changes on every run and lives in
 * `schedules/.state.jsonl` (jobs.ts). A file a person writes may leave out everything but
 * `schedule` (a bare string is read as a cron); defaults are those of jobs.save.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { parse, stringify } from "yaml";
import type { Job } from "../../domain/jobs.js";
import { JobSave } from "../../domain/jobs.js";
import { Timestamp, Version } from "../../domain/schema.js";
import type { JobInput } from "../contract.js";

const JobFile = Type.Object(
  { ...Type.Omit(JobSave, ["expectedVersion"]).properties, createdAt: Type.Optional(Timestamp), updatedAt: Type.Optional(Timestamp), version: Type.Optional(Version) },
  { additionalProperties: false },
);
export type ParsedJob = Static<typeof JobFile>;

export class JobFileError extends Error {}

/** The zone a hand-written file without `timezone` gets: the host's (the daemon's default). */
const HOST_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function serializeJob(j: Job): string {
  const f: Record<string, unknown> = { id: j.id };
  if (j.name !== undefined) f.name = j.name;
  if (j.description !== undefined) f.description = j.description;
  f.schedule = j.schedule;
  if (j.anchorAt !== undefined) f.anchorAt = j.anchorAt;
  Object.assign(f, {
    timezone: j.timezone, enabled: j.enabled, deleteAfterRun: j.deleteAfterRun, action: j.action, payload: j.payload,
    misfire: j.misfire, noOverlap: j.noOverlap, createdAt: j.createdAt, updatedAt: j.updatedAt, version: j.version,
  });
  return stringify(f, { lineWidth: 0 });
}

/** Parses and type-checks a job file; throws JobFileError saying what is wrong. */
export function parseJobFile(text: string): ParsedJob {
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (err) {
    throw new JobFileError(`not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new JobFileError("the file is not a YAML mapping");
  const f = { ...(doc as Record<string, unknown>) };
  if (typeof f.id === "number") f.id = String(f.id);
  if (typeof f.schedule === "string") f.schedule = { cron: f.schedule };
  if (f.schedule === undefined) throw new JobFileError('"schedule" is missing (a cron string, { cron } or { at })');
  const first = Value.Errors(JobFile, f).First();
  if (first) {
    const where = first.path === "" ? "the file" : `"${first.path.slice(1).replaceAll("/", ".")}"`;
    const options = (first.schema as { anyOf?: Array<{ const?: unknown }> }).anyOf?.map((o) => o.const);
    const what = options?.every((o) => typeof o === "string") ? `must be one of ${options.join(", ")}` : first.message;
    throw new JobFileError(`${where}: ${what}`);
  }
  return f as ParsedJob;
}

/**
 * What jobs.save would get for this file, with jobs.save's defaults. An `anchorAt` the person left
 * as it was while changing the schedule is the daemon's, not theirs: it is dropped, so a new
 * expression re-anchors as it would through jobs.save.
 */
export function jobInputFromFile(id: string, f: ParsedJob, existing: Job | undefined): JobInput {
  const input: JobInput = {
    id,
    schedule: f.schedule,
    timezone: f.timezone ?? HOST_ZONE,
    enabled: f.enabled ?? true,
    deleteAfterRun: f.deleteAfterRun ?? false,
    action: f.action ?? { type: "event" },
    payload: f.payload === undefined ? {} : f.payload,
    misfire: f.misfire ?? "once",
    noOverlap: f.noOverlap ?? true,
  };
  if (f.name !== undefined) input.name = f.name;
  if (f.description !== undefined) input.description = f.description;
  const sameSchedule = existing !== undefined && JSON.stringify(existing.schedule) === JSON.stringify(f.schedule);
  if (f.anchorAt !== undefined && (sameSchedule || f.anchorAt !== existing?.anchorAt)) input.anchorAt = f.anchorAt;
  return input;
}
