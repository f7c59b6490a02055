/**
 * Hand edits of `schedules/*.yaml` (docs/decisions/jsonl-jobs.md): a watcher reconciles a changed
 * file with the store. Content the daemon wrote or accepted is recognised by its hash and ignored.
 * Otherwise the file is validated as jobs.save would validate it and becomes the job's next version
 * (the core's buildJob: nextRunAt recomputed when the schedule changed) with job.saved; the
 * person's file is not rewritten. A deleted file deletes the job (the core's deleteJob). A file that
 * does not parse or validate is a warning until fixed, and the last good version stays in effect.
 */
import { isAgentStateError, isBackendUnavailable } from "../../domain/errors.js";
import type { BackendLog, Storage } from "../contract.js";
import { buildJob } from "../../core/job-rules.js";
import { hashText, idForFile } from "./hand-edited.js";
import { JobFileError, jobInputFromFile, parseJobFile } from "./job-file.js";
import { SCHEDULES, YAML, type JsonlJobsPort } from "./jobs.js";
import { DirWatcher } from "./plans-watch.js";
import type { Vfs } from "./vfs.js";

const RETRY_MS = 1000;

export class JobsWatch {
  private readonly watcher: DirWatcher;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly port: JsonlJobsPort,
    private readonly vfs: Vfs,
    dir: string,
    log: BackendLog | undefined,
  ) {
    this.watcher = new DirWatcher(dir, YAML, (name) => this.reconcile(name), (err) => {
      log?.warn("jsonl jobs: watching schedules/ failed", { error: String(err) });
    });
  }

  /** Reconciles files changed while no daemon ran, then watches. */
  async start(): Promise<void> {
    for (const name of [...this.port.pendingAtStart]) await this.reconcile(name);
    this.port.pendingAtStart.clear();
    await this.watcher.start();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.watcher.stop();
  }

  /**
   * Brings the store in line with what `schedules/<name>` now holds. When the storage refuses the
   * write (a full disk), it is tried again every second until it lands: the file will not change
   * again by itself, so no new watch event would bring the edit or deletion back.
   */
  private async reconcile(name: string): Promise<void> {
    try {
      await this.reconcileOnce(name);
    } catch (err) {
      if (!isBackendUnavailable(err) || this.stopped) throw err;
      setTimeout(() => void this.reconcile(name).catch(() => undefined), RETRY_MS).unref();
    }
  }

  private async reconcileOnce(name: string): Promise<void> {
    const { edits, names } = this.port;
    const text = (await this.vfs.readAll(`${SCHEDULES}/${name}`))?.toString("utf8");
    if (text === undefined) {
      edits.clear(name);
      const id = names.get(name);
      if (id === undefined) return;
      // The core's deleteJob, except that the file is gone already.
      await this.storage.write(async (u) => {
        const job = await u.jobs.job(id);
        if (!job) return;
        const runs = await u.jobs.runsOfJob(id, 0);
        (u.jobs as unknown as JsonlJobsPort).deleteJob(job, runs, true);
        u.change({ domain: "jobs", type: "job.deleted", id, version: job.version, data: { runsRemoved: runs.length } });
      });
      return;
    }
    try {
      const parsed = parseJobFile(text);
      const id = idForFile(name, YAML, parsed.id);
      if (typeof id !== "string") throw new JobFileError(id.error);
      if (edits.knows(id, hashText(text))) return edits.clear(name);
      await this.storage.write(async (u) => {
        const existing = await u.jobs.job(id);
        const job = buildJob(existing, jobInputFromFile(id, parsed, existing), new Date(u.now));
        if (!existing) {
          if (parsed.createdAt !== undefined) job.createdAt = new Date(parsed.createdAt).toISOString();
          if (parsed.version !== undefined) job.version = parsed.version;
        }
        (u.jobs as unknown as JsonlJobsPort).putJob(job, existing, text);
        u.change({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } });
      });
    } catch (err) {
      if (isBackendUnavailable(err)) throw err;
      if (!(err instanceof JobFileError) && !isAgentStateError(err)) throw err;
      edits.warn(name, err.message);
      return;
    }
    edits.clear(name);
  }
}
