/**
 * The jsonl jobs store's state and how ops change it (format in docs/decisions/jsonl-jobs.md):
 *
 * - `schedules/<enc>.yaml`: a job's definition, for people (job-file.ts). Rewritten by store saves
 *   only; a hand edit is accepted as it is and never rewritten.
 * - `schedules/.state.jsonl`: `{ n, h, job }` per change of a job (the whole record, bookkeeping
 *   included, and `h`, the hash of the YAML content it stands for), `{ n, id, deleted: true }` per
 *   deletion; the latest line per id wins (keyed-log.ts). At open a YAML file whose hash is the
 *   state's is that job; anything else is reconciled after replay like a hand edit.
 * - `runs/<enc(jobId)>.jsonl`: `{ n, run, slot? }` per change of a run (`slot`: made by fireSlot,
 *   so it holds the (jobId, scheduledFor) key), `{ n, id, gone: true }` per pruned run.
 *
 * Everything is in memory (jobs, and runs bounded by runsPerJob per job), so writes are decided
 * synchronously. Ops carry full records: a replay applies them again over files that may be ahead.
 */
import { promises as fs } from "node:fs";
import type { Job, Run } from "../../domain/jobs.js";
import type { BackendOptions } from "../contract.js";
import { encodeId } from "./encode.js";
import type { Engine } from "./engine.js";
import { HandEdits, hashText } from "./hand-edited.js";
import { serializeJob } from "./job-file.js";
import { KeyedLog } from "./keyed-log.js";

export type JobOp =
  /** y: a store save, the YAML is (re)written; c: a hand edit, the person's text; neither: bookkeeping. */
  | { k: "job"; j: Job; n: number; h: string; y?: true; c?: string }
  /** rm: a store delete removes the YAML; without it the person already removed it. */
  | { k: "rmjob"; id: string; n: number; rm?: true }
  | { k: "run"; r: Run; n: number; slot?: true; gone?: string[] };
type OpOf<K extends JobOp["k"]> = Extract<JobOp, { k: K }>;

type StateLine = { n: number; h: string; job: Job } | { n: number; id: string; deleted: true };
type RunLine = { n: number; run: Run; slot?: true } | { n: number; id: string; gone: true };

export interface Entry {
  job: Job;
  runIds: Set<string>;
  /** scheduledFor → run id, for runs made by fireSlot: the slot key. */
  slots: Map<string, string>;
}

export const YAML = ".yaml";

export class JobsModel {
  readonly entries = new Map<string, Entry>();
  readonly runs = new Map<string, Run>();
  /** File name → id, for files whose name does not decode (hashed long ids) and for deletions. */
  readonly names = new Map<string, string>();
  readonly edits: HandEdits;
  /** Files to reconcile after replay: edited, added or deleted while no daemon ran (or not matching state). */
  readonly pendingAtStart = new Set<string>();
  opening = false;
  private readonly state = new KeyedLog<StateLine>((l) => ("job" in l ? l.job.id : l.id), (l) => "deleted" in l);
  private readonly runLog = new KeyedLog<RunLine>((l) => ("run" in l ? l.run.id : l.id), (l) => "gone" in l);

  constructor(
    private readonly engine: Engine,
    opts: BackendOptions,
  ) {
    this.edits = new HandEdits("schedules", opts.log);
    engine.register<OpOf<"job">>("job", {
      memory: (op) => {
        const e = this.entries.get(op.j.id);
        if (e) e.job = op.j;
        else this.entries.set(op.j.id, { job: op.j, runIds: new Set(), slots: new Map() });
        this.names.set(this.fileName(op.j.id), op.j.id);
        this.edits.remember(op.j.id, op.h);
        if (op.y || op.c !== undefined) this.edits.begin(op.j.id);
      },
      files: async (op, io) => {
        const path = this.yamlPath(op.j.id);
        if (op.y && (await this.mayRewrite(op.j.id, path))) io.rewrite(path, serializeJob(op.j));
        // On replay a save journaled before the edit may just have rewritten the file: put the person's text back.
        if (op.c !== undefined && this.opening && (await readOrUndefined(path)) !== op.c) io.rewrite(path, op.c);
        await this.state.append(io, this.statePath, [{ n: op.n, h: op.h, job: op.j }]);
      },
    });
    engine.register<OpOf<"rmjob">>("rmjob", {
      memory: (op) => {
        const e = this.entries.get(op.id);
        for (const id of e?.runIds ?? []) this.runs.delete(id);
        this.entries.delete(op.id);
        this.edits.forget(op.id);
        this.edits.begin(op.id);
      },
      files: async (op, io) => {
        if (op.rm || this.opening) await io.remove(this.yamlPath(op.id));
        await this.runLog.remove(io, this.runsPath(op.id));
        await this.state.append(io, this.statePath, [{ n: op.n, id: op.id, deleted: true }]);
      },
    });
    engine.register<OpOf<"run">>("run", {
      memory: (op) => {
        const e = this.entries.get(op.r.jobId);
        if (!e) return; // replay: the job is deleted by a later op
        this.runs.set(op.r.id, op.r);
        e.runIds.add(op.r.id);
        if (op.slot) e.slots.set(op.r.scheduledFor, op.r.id);
        for (const id of op.gone ?? []) this.dropRun(e, id);
      },
      files: (op, io) => {
        const lines: RunLine[] = [op.slot ? { n: op.n, run: op.r, slot: true } : { n: op.n, run: op.r }];
        for (const id of op.gone ?? []) lines.push({ n: op.n, id, gone: true });
        return this.runLog.append(io, this.runsPath(op.r.jobId), lines);
      },
    });
    engine.onApplied((ops) => {
      for (const op of ops as JobOp[]) {
        if (op.k === "job" && (op.y || op.c !== undefined)) this.edits.end(op.j.id);
        else if (op.k === "rmjob") this.edits.end(op.id);
      }
    });
  }

  fileName = (id: string) => `${encodeId(id)}${YAML}`;
  yamlPath = (id: string) => this.engine.path("schedules", this.fileName(id));
  private runsPath = (jobId: string) => this.engine.path("runs", `${encodeId(jobId)}.jsonl`);
  private get statePath() {
    return this.engine.path("schedules", ".state.jsonl");
  }

  /**
   * During replay, a save's YAML is written only over a file the daemon knows (or a missing one):
   * a file whose content no write produced was edited while no daemon ran, and stays for reconcile.
   */
  private async mayRewrite(id: string, path: string): Promise<boolean> {
    if (!this.opening) return true;
    const text = await readOrUndefined(path);
    return text === undefined || this.edits.knows(id, hashText(text));
  }

  private dropRun(e: Entry, id: string): void {
    const run = this.runs.get(id);
    this.runs.delete(id);
    e.runIds.delete(id);
    if (run && e.slots.get(run.scheduledFor) === id) e.slots.delete(run.scheduledFor);
  }

  /** Reads the state, the runs and the YAML file names at open (before replay). */
  async load(): Promise<void> {
    this.opening = true;
    for (const line of (await this.state.load(this.statePath)).values()) {
      if (!("job" in line)) continue;
      this.entries.set(line.job.id, { job: line.job, runIds: new Set(), slots: new Map() });
      this.names.set(this.fileName(line.job.id), line.job.id);
      this.edits.remember(line.job.id, line.h);
    }
    const runsDir = this.engine.path("runs");
    for (const file of await fs.readdir(runsDir).catch(() => [] as string[])) {
      if (!file.endsWith(".jsonl") || file.startsWith(".")) continue;
      for (const line of (await this.runLog.load(`${runsDir}/${file}`)).values()) {
        if (!("run" in line)) continue;
        const e = this.entries.get(line.run.jobId);
        if (!e) continue; // a job with no state line: see docs/decisions/jsonl-jobs.md
        this.runs.set(line.run.id, line.run);
        e.runIds.add(line.run.id);
        if (line.slot) e.slots.set(line.run.scheduledFor, line.run.id);
      }
    }
    const dir = this.engine.path("schedules");
    const present = new Set<string>();
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith(YAML) || name.startsWith(".")) continue;
      present.add(name);
      const id = this.names.get(name);
      const text = await fs.readFile(`${dir}/${name}`, "utf8");
      if (id === undefined || this.edits.latest(id) !== hashText(text)) this.pendingAtStart.add(name);
    }
    for (const name of this.names.keys()) if (!present.has(name)) this.pendingAtStart.add(name);
  }
}

export async function readOrUndefined(path: string): Promise<string | undefined> {
  return fs.readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
}
