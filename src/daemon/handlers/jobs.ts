/**
 * Job and run methods: defaults and limits applied here, once; storage and schedule arithmetic in
 * the backend (backends/common/jobs.ts). Firing slots, exec actions, runs.claim/runs.finish and
 * releasing the claims of a closed connection belong to the scheduler (src/daemon/scheduler/).
 */
import type { JobInput } from "../../backends/contract.js";
import type { jobsMethods } from "../../domain/jobs.js";
import { checkSize } from "../limits.js";
import { DEFAULT_LIMIT } from "./conversations.js";
import type { HandlersFor, ServiceContext } from "./types.js";

/** runs.claim and runs.finish live in the scheduler (src/daemon/scheduler/claims.ts): a claim is tied to its connection. */
export function jobsHandlers({ backend, config, newId }: ServiceContext): Omit<HandlersFor<typeof jobsMethods>, "runs.claim" | "runs.finish"> {
  const store = backend.jobs;
  const max = config.maxValueBytes;
  return {
    "jobs.save": (p) => {
      checkSize("payload", p.payload, max);
      checkSize("action", p.action, max);
      // Schedule, zone and anchor are validated by the store (backends/common/jobs.ts), on every path in.
      const input: JobInput = {
        ...p,
        id: p.id ?? newId(),
        timezone: p.timezone ?? config.timezone,
        enabled: p.enabled ?? true,
        deleteAfterRun: p.deleteAfterRun ?? false,
        action: p.action ?? { type: "event" },
        payload: p.payload ?? {},
        misfire: p.misfire ?? "once",
        noOverlap: p.noOverlap ?? true,
      };
      return store.saveJob(input);
    },
    "jobs.get": (p) => store.getJob(p.id),
    "jobs.list": (p) => store.listJobs({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "jobs.delete": async (p) => {
      await store.deleteJob(p.id, p.expectedVersion);
      return { deleted: true as const };
    },
    "jobs.trigger": (p) => store.triggerJob(p.id, newId()),
    "runs.list": (p) => store.listRuns({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "runs.get": (p) => store.getRun(p.id),
  };
}
