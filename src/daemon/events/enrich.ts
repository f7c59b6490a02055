/**
 * run.fired events carry the job's payload (SPEC §3.3: data jobId, runId, scheduledFor, payload),
 * but the change record stays small (§4), so the payload is added at delivery. Payloads are cached
 * per job, bounded by count and bytes, and dropped when a job.saved or job.deleted change passes
 * the fan-out (those come in cursor order, before any later run.fired of the job).
 *
 * The payload is the job's current one at delivery; when the job is gone (deleteAfterRun, deleted)
 * or the backend cannot be read, the event is delivered without `payload` rather than held back.
 */
import type { Change } from "../../domain/changes.js";
import type { JobStore } from "../../backends/contract.js";
import { isNotFound } from "../../domain/errors.js";

const MAX_JOBS = 1000;
const MAX_BYTES = 8 * 1024 * 1024;
/** Payloads bigger than this are fetched each time rather than cached. */
const MAX_ENTRY_BYTES = 256 * 1024;

interface Cached {
  payload: unknown;
  bytes: number;
}

export class RunPayloads {
  private readonly cache = new Map<string, Cached>();
  private bytes = 0;
  /** Bumped by every job change: a load that started before one must not cache what it read. */
  private generation = 0;

  constructor(
    private readonly jobs: Pick<JobStore, "getJob">,
    private readonly warn: (message: string, meta: Record<string, unknown>) => void,
  ) {}

  /** The change as subscribers see it: run.fired with runId and payload; anything else as is. */
  enrich(change: Change): Change | Promise<Change> {
    if (change.type !== "run.fired") return change;
    const data = (typeof change.data === "object" && change.data !== null ? change.data : {}) as Record<string, unknown>;
    const jobId = typeof data.jobId === "string" ? data.jobId : undefined;
    if (jobId === undefined) return { ...change, data: { ...data, runId: change.id } };
    const hit = this.cache.get(jobId);
    if (hit) {
      this.cache.delete(jobId); // re-insert: Map order is the LRU order
      this.cache.set(jobId, hit);
      return { ...change, data: { ...data, runId: change.id, payload: hit.payload } };
    }
    return this.load(jobId).then((payload) => ({
      ...change,
      data: payload === undefined ? { ...data, runId: change.id } : { ...data, runId: change.id, payload },
    }));
  }

  /** Called for every change the fan-out passes: a job that changed loses its cached payload. */
  observe(change: Change): void {
    if (change.domain !== "jobs") return;
    this.generation++;
    this.forget(change.id);
  }

  private async load(jobId: string): Promise<unknown> {
    const generation = this.generation;
    try {
      const job = await this.jobs.getJob(jobId);
      const bytes = Buffer.byteLength(JSON.stringify(job.payload ?? null));
      if (bytes <= MAX_ENTRY_BYTES && generation === this.generation) this.remember(jobId, { payload: job.payload, bytes });
      return job.payload;
    } catch (err) {
      if (!isNotFound(err)) this.warn("run.fired delivered without payload: the job could not be read", { jobId, error: String(err) });
      return undefined;
    }
  }

  private remember(jobId: string, entry: Cached): void {
    this.forget(jobId);
    this.cache.set(jobId, entry);
    this.bytes += entry.bytes;
    for (const [id] of this.cache) {
      if (this.cache.size <= MAX_JOBS && this.bytes <= MAX_BYTES) break;
      this.forget(id);
    }
  }

  private forget(jobId: string): void {
    const e = this.cache.get(jobId);
    if (!e) return;
    this.bytes -= e.bytes;
    this.cache.delete(jobId);
  }
}
