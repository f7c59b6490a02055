/**
 * jsonl jobs and runs (docs/jsonl-layout.md, docs/decisions/jsonl-jobs.md), the memory model plus:
 *
 * - `schedules/<enc>.yaml`: a job's definition, for people (job-file.ts). Written when a store save
 *   changes the definition; a hand edit (jobs-watch.ts) is accepted as written and never rewritten.
 * - `schedules/.state.jsonl`: `{ n, h, job }` per write of a job (the whole record, bookkeeping
 *   included, and `h`, the hash of the YAML content it stands for), `{ n, id, deleted: true }` per
 *   deletion; the latest line per id wins.
 * - `runs/<enc(jobId)>.jsonl`: `{ n, run, slot? }` per write of a run (`slot`: it holds the
 *   (jobId, scheduledFor) key), `{ n, id, gone: true }` per deleted run; the latest line per id wins.
 *
 * `n` numbers writes in order (kept from the format before the storage core; replay no longer
 * needs it: the journal rewrites each operation at its place). A keyed file whose stale lines
 * outnumber its live keys is rewritten whole with the live lines. Everything is in memory (jobs,
 * and runs bounded by runsPerJob per job), loaded at open through the vfs.
 */
import type { Job, Run } from "../../domain/jobs.js";
import { MemoryJobsPort } from "../memory/jobs.js";
import type { BackendLog } from "../contract.js";
import { encodeId } from "./encode.js";
import type { Files, Model } from "./engine.js";
import { HandEdits, hashText } from "./hand-edited.js";
import { serializeJob } from "./job-file.js";
import type { Vfs } from "./vfs.js";
import { dataDamaged } from "../../domain/errors.js";

export const SCHEDULES = "schedules";
export const YAML = ".yaml";
const STATE = `${SCHEDULES}/.state.jsonl`;
const SLACK = 64;

type StateLine = { n: number; h: string; job: Job } | { n: number; id: string; deleted: true };
type RunLine = { n: number; run: Run; slot?: true } | { n: number; id: string; gone: true };

export const yamlName = (id: string) => `${encodeId(id)}${YAML}`;
const yamlPath = (id: string) => `${SCHEDULES}/${yamlName(id)}`;
const runsPath = (jobId: string) => `runs/${encodeId(jobId)}.jsonl`;

/** Lines in a keyed file and how many keys are live, to know when to rewrite it. */
interface FileCount {
  lines: number;
  live: number;
}

export class JsonlJobsPort extends MemoryJobsPort implements Model {
  readonly edits: HandEdits;
  /** File name → id, for files whose name does not decode (hashed long ids) and for deletions. */
  readonly names = new Map<string, string>();
  /** YAML files to reconcile after open: edited, added or deleted while no daemon ran. */
  readonly pendingAtStart = new Set<string>();
  private readonly counts = new Map<string, FileCount>();
  private n = 0;

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
    log: BackendLog | undefined,
  ) {
    super();
    this.edits = new HandEdits(SCHEDULES, log);
  }

  private async lines<L>(path: string): Promise<L[]> {
    const raw = await this.vfs.readAll(path);
    const out: L[] = [];
    let lineNo = 0;
    for (const text of (raw?.toString("utf8") ?? "").split("\n")) {
      lineNo++;
      if (text === "") continue;
      try {
        out.push(JSON.parse(text) as L);
      } catch {
        // a torn last line is cut by the journal's replay; anything else is damage
        if (lineNo < (raw?.toString("utf8") ?? "").split("\n").length - 1) throw dataDamaged(`${path}:${lineNo} is not a JSON line; refusing to guess what it held`);
      }
    }
    return out;
  }

  async load(): Promise<void> {
    for (const m of [this.jobs, this.runs, this.runIds, this.slots, this.names, this.counts]) m.clear();
    this.pendingAtStart.clear();
    const state = new Map<string, StateLine>();
    const stateLines = await this.lines<StateLine>(STATE);
    for (const line of stateLines) {
      this.n = Math.max(this.n, line.n);
      const id = "job" in line ? line.job.id : line.id;
      state.delete(id);
      if (!("deleted" in line)) state.set(id, line);
    }
    this.counts.set(STATE, { lines: stateLines.length, live: state.size });
    for (const line of state.values()) {
      if (!("job" in line)) continue;
      this.jobs.set(line.job.id, line.job);
      this.names.set(yamlName(line.job.id), line.job.id);
      this.edits.remember(line.job.id, line.h);
    }
    for (const file of await this.vfs.list("runs")) {
      if (!file.endsWith(".jsonl")) continue;
      const path = `runs/${file}`;
      const latest = new Map<string, RunLine>();
      const lines = await this.lines<RunLine>(path);
      for (const line of lines) {
        this.n = Math.max(this.n, line.n);
        const id = "run" in line ? line.run.id : line.id;
        latest.delete(id);
        if (!("gone" in line)) latest.set(id, line);
      }
      this.counts.set(path, { lines: lines.length, live: latest.size });
      for (const line of latest.values()) {
        if (!("run" in line) || !this.jobs.has(line.run.jobId)) continue; // a job with no state line: see docs/decisions/jsonl-jobs.md
        super.putRun(line.run, undefined, line.slot === true);
      }
    }
    const present = new Set<string>();
    for (const name of await this.vfs.list(SCHEDULES)) {
      if (!name.endsWith(YAML)) continue;
      present.add(name);
      const id = this.names.get(name);
      const text = (await this.vfs.readAll(`${SCHEDULES}/${name}`))?.toString("utf8");
      if (id === undefined || text === undefined || this.edits.latest(id) !== hashText(text)) this.pendingAtStart.add(name);
    }
    for (const name of this.names.keys()) if (!present.has(name)) this.pendingAtStart.add(name);
  }

  override async job(id: string) {
    await this.vfs.know(yamlPath(id), runsPath(id), STATE);
    return super.job(id);
  }

  override async run(id: string) {
    const jobId = await this.jobOfRun(id);
    if (jobId !== undefined) await this.vfs.know(runsPath(jobId));
    return super.run(id);
  }

  /** Appends keyed lines; rewrites the file with `live()` when stale lines outnumber live keys. */
  private appendKeyed(path: string, lines: unknown[], liveDelta: number, live: () => unknown[]): void {
    const c = this.counts.get(path) ?? { lines: 0, live: 0 };
    this.counts.set(path, c);
    c.lines += lines.length;
    c.live += liveDelta;
    if (c.lines > 2 * c.live + SLACK) {
      const kept = live();
      this.files.replace(path, kept.map((l) => JSON.stringify(l) + "\n").join(""));
      c.lines = kept.length;
      c.live = kept.length;
      return;
    }
    this.files.append(path, lines.map((l) => JSON.stringify(l) + "\n").join(""));
  }

  private stateLines = (): StateLine[] => [...this.jobs.values()].map((job) => ({ n: this.n, h: this.edits.latest(job.id) ?? "", job }));

  private runLines = (jobId: string): RunLine[] =>
    [...(this.runIds.get(jobId) ?? [])].map((id) => {
      const run = this.runs.get(id) as Run;
      return this.slots.get(`${jobId}\0${run.scheduledFor}`) === id ? { n: this.n, run, slot: true } : { n: this.n, run };
    });

  /**
   * Stores the job. `editedText`: the YAML a person wrote, accepted as this version (not rewritten);
   * otherwise the YAML is (re)written when the definition changed (a new version).
   */
  override putJob(next: Job, prev: Job | undefined, editedText?: string): void {
    super.putJob(next, prev);
    this.n++;
    this.names.set(yamlName(next.id), next.id);
    if (editedText !== undefined) this.edits.remember(next.id, hashText(editedText));
    else if (!prev || prev.version !== next.version || !this.vfs.exists(yamlPath(next.id))) {
      const text = serializeJob(next);
      this.edits.remember(next.id, hashText(text));
      this.files.replace(yamlPath(next.id), text);
    }
    this.appendKeyed(STATE, [{ n: this.n, h: this.edits.latest(next.id) ?? "", job: next }], prev ? 0 : 1, this.stateLines);
  }

  /** Deletes the job; `fileGone`: a person removed its YAML already. */
  override deleteJob(job: Job, runs: readonly Run[], fileGone = false): void {
    super.deleteJob(job, runs);
    this.n++;
    this.edits.forget(job.id);
    this.names.delete(yamlName(job.id));
    if (!fileGone && this.vfs.exists(yamlPath(job.id))) this.files.remove(yamlPath(job.id));
    if (this.vfs.exists(runsPath(job.id))) this.files.remove(runsPath(job.id));
    this.counts.delete(runsPath(job.id));
    this.appendKeyed(STATE, [{ n: this.n, id: job.id, deleted: true }], -1, this.stateLines);
  }

  override putRun(next: Run, prev: Run | undefined, slot?: boolean): void {
    super.putRun(next, prev, slot);
    this.n++;
    const holds = this.slots.get(`${next.jobId}\0${next.scheduledFor}`) === next.id;
    this.appendKeyed(runsPath(next.jobId), [holds ? { n: this.n, run: next, slot: true } : { n: this.n, run: next }], prev ? 0 : 1, () => this.runLines(next.jobId));
  }

  override deleteRuns(runs: readonly Run[]): void {
    super.deleteRuns(runs);
    this.n++;
    const byJob = new Map<string, Run[]>();
    for (const r of runs) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r]);
    for (const [jobId, gone] of byJob) {
      this.appendKeyed(runsPath(jobId), gone.map((r) => ({ n: this.n, id: r.id, gone: true })), -gone.length, () => this.runLines(jobId));
    }
  }
}
