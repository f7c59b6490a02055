/**
 * jsonl plans: `plans/<encodeId(id)>.md`, Markdown with YAML front matter (format in plan-file.ts)
 * that a person may edit, add or delete while the daemon runs. Plans live in memory, bodies
 * included: they are documents a person reviews, tens to hundreds per host, so this stays small,
 * and it lets the last good version of a file that a person broke keep being served.
 *
 * `plans/.index.jsonl` gets a line `{ h, p }` per write: the sha256 of the file content and the
 * record (without body) it stands for. At open a file whose hash is indexed is that record; any
 * other file was edited while no daemon ran and becomes the next version in afterReplay(). The index is
 * rewritten (one line per plan) at open and when it grows past 4 lines per plan.
 *
 * Hand edits: a watcher (plans-watch.ts) reconciles a changed file with memory. Content the daemon
 * wrote itself is recognised by its hash and ignored. Otherwise the file becomes the plan's next
 * version through a `planedit` op (memory and an index line, so the version survives a restart)
 * and a plan.saved change, in one tx; the person's file is not rewritten. A deleted file is a
 * `planforget` op with plan.deleted. A file that does not parse is a warning (daemon.health) until
 * fixed, and the last good version stays in effect.
 */
import { promises as fs } from "node:fs";
import { notFound } from "../../domain/errors.js";
import { type ListPlansParams, type Plan, type PlanSave, type PlanSummary } from "../../domain/plans.js";
import type { BackendOptions, Page, PageQuery, PlanStore } from "../contract.js";
import { decodeCursor, firstPage } from "../../core/paging.js";
import { comparePlansDesc, planSortKey, savePlanRecord, summarizePlan } from "../common/plans.js";
import { checkVersion } from "../../core/sessions.js";
import type { JsonlChangeLog } from "./changes.js";
import type { JsonlDomain } from "./domain.js";
import { encodeId } from "./encode.js";
import type { Engine } from "./engine.js";
import type { FileIO } from "./fileio.js";
import { repairTornTail, writeFileAtomic } from "./files.js";
import type { Op } from "./journal.js";
import { completePlan, hashText, parsePlanFile, PlanFileError, planFromFile, planIdFor, serializePlan, type ParsedPlan } from "./plan-file.js";
import { HandEdits } from "./hand-edited.js";
import { DirWatcher } from "./plans-watch.js";

type PlanOp =
  | { k: "plan"; p: Plan } // a save through the store: the file is (re)written
  | { k: "rmplan"; id: string }
  | { k: "planedit"; p: Plan; c: string } // a hand edit: `c` is the person's file, kept as is
  | { k: "planforget"; id: string }; // a hand deletion
type OpOf<K extends PlanOp["k"]> = Extract<PlanOp, { k: K }>;

/** A line of `plans/.index.jsonl`: the record that the file content with hash `h` stands for. */
interface IndexLine {
  h: string;
  p: PlanSummary;
}

const INDEX = ".index.jsonl";

export class JsonlPlans implements PlanStore, JsonlDomain {
  private readonly plans = new Map<string, Plan>();
  /** File name → id, for deletions of files whose name does not decode (hashed long ids). */
  private readonly names = new Map<string, string>();
  /** Own-write hashes, writes on their way, warnings (hand-edited.ts). */
  private readonly edits: HandEdits;
  private readonly pendingAtStart: string[] = [];
  private opening = false;
  private indexLines = 0;
  private compaction?: Promise<void>;
  private readonly watcher: DirWatcher;

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {
    this.edits = new HandEdits("plans", opts.log);
    const set = (p: Plan, hash: string) => {
      this.plans.set(p.id, p);
      this.names.set(this.name(p.id), p.id);
      this.edits.remember(p.id, hash);
      this.edits.begin(p.id);
    };
    const drop = (id: string) => {
      this.plans.delete(id);
      this.edits.forget(id);
      this.edits.begin(id);
    };
    engine.register<OpOf<"plan">>("plan", {
      memory: (op) => set(op.p, hashText(serializePlan(op.p))),
      files: async (op, io) => {
        const text = serializePlan(op.p);
        io.rewrite(this.path(op.p.id), text);
        this.index(io, text, op.p);
      },
    });
    engine.register<OpOf<"rmplan">>("rmplan", { memory: (op) => drop(op.id), files: (op, io) => io.remove(this.path(op.id)) });
    engine.register<OpOf<"planedit">>("planedit", {
      memory: (op) => set(op.p, hashText(op.c)),
      files: async (op, io) => {
        // On replay a save journaled before the edit may just have rewritten the file: restore the person's text.
        if (this.opening && (await fs.readFile(this.path(op.p.id), "utf8").catch(() => undefined)) !== op.c) io.rewrite(this.path(op.p.id), op.c);
        this.index(io, op.c, op.p);
      },
    });
    engine.register<OpOf<"planforget">>("planforget", {
      memory: (op) => drop(op.id),
      files: async (op, io) => {
        if (this.opening) await io.remove(this.path(op.id));
      },
    });
    engine.onApplied((ops) => {
      for (const op of ops as PlanOp[]) {
        const id = op.k === "plan" || op.k === "planedit" ? op.p.id : op.k === "rmplan" || op.k === "planforget" ? op.id : undefined;
        if (id !== undefined) this.edits.end(id);
      }
    });
    this.watcher = new DirWatcher(engine.path("plans"), ".md", (name) => this.reconcile(name), (err) => {
      this.opts.log?.warn("jsonl plans: watching plans/ failed", { error: String(err) });
    });
  }

  private name = (id: string) => `${encodeId(id)}.md`;
  private path = (id: string) => this.engine.path("plans", this.name(id));
  private now = () => this.opts.now().toISOString();

  /** Records in the index which record the file content `text` stands for. */
  private index(io: FileIO, text: string, p: Plan): void {
    io.append(this.engine.path("plans", INDEX), JSON.stringify({ h: hashText(text), p: summarizePlan(p) } satisfies IndexLine) + "\n");
    this.indexLines++;
  }

  warnings(): string[] {
    return this.edits.warnings();
  }

  async load(): Promise<void> {
    this.opening = true;
    const dir = this.engine.path("plans");
    const edits = new Map<string, IndexLine>();
    await repairTornTail(`${dir}/${INDEX}`);
    const indexText = await fs.readFile(`${dir}/${INDEX}`, "utf8").catch(() => "");
    for (const line of indexText.split("\n")) {
      if (line === "") continue;
      try {
        const e = JSON.parse(line) as IndexLine;
        edits.set(e.p.id, e);
      } catch {
        // not ours to fail on: the entry only saves a version bump, afterReplay() re-derives one
      }
    }
    const used: IndexLine[] = [];
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (!name.endsWith(".md") || name.startsWith(".")) continue;
      const text = await fs.readFile(`${dir}/${name}`, "utf8");
      let parsed: ParsedPlan;
      let id: string;
      try {
        parsed = parsePlanFile(text);
        id = planIdFor(name, parsed);
      } catch (err) {
        if (!(err instanceof PlanFileError)) throw err;
        this.edits.warn(name, err.message);
        continue;
      }
      const hash = hashText(text);
      const edit = edits.get(id);
      const complete = completePlan(parsed, id);
      let plan: Plan;
      if (edit?.h === hash) {
        plan = { ...edit.p, body: parsed.body };
        used.push(edit);
      } else if (complete && !edit) {
        plan = complete; // no index entry (the index was lost, or the directory was copied): trust the front matter
      } else {
        // Edited while no daemon ran: afterReplay() makes it the next version (and records the change).
        this.pendingAtStart.push(name);
        const version = Math.max(parsed.version ?? 0, edit?.p.version ?? 0);
        if (version > 0) this.plans.set(id, { ...planFromFile(this.now(), id, parsed, undefined), createdAt: edit?.p.createdAt ?? parsed.createdAt ?? this.now(), version });
        this.names.set(name, id);
        continue;
      }
      this.plans.set(id, plan);
      this.names.set(name, id);
      this.edits.remember(id, hash);
    }
    if (indexText !== "" && used.length !== indexText.split("\n").length - 1) {
      await writeFileAtomic(`${dir}/${INDEX}`, used.map((e) => JSON.stringify(e) + "\n").join(""));
    }
    this.indexLines = used.length;
  }

  async afterReplay(): Promise<void> {
    this.opening = false;
    await this.watcher.start();
    for (const name of this.pendingAtStart.splice(0)) await this.reconcile(name);
  }

  async beforeClose(): Promise<void> {
    await this.watcher.stop();
    await this.compaction;
  }

  /** The index gains a line per write; once it is mostly stale, rewrite it with one line per plan. */
  private maybeCompactIndex(): void {
    if (this.compaction || this.indexLines <= 4 * this.plans.size + 256) return;
    const path = this.engine.path("plans", INDEX);
    this.compaction = this.engine
      .runExclusive(async () => {
        const lines: string[] = [];
        for (const p of this.plans.values()) {
          const h = this.edits.latest(p.id);
          // A plan with a write still on its way gets its line from that write's applier.
          if (h !== undefined && !this.edits.busy(p.id)) lines.push(JSON.stringify({ h, p: summarizePlan(p) } satisfies IndexLine) + "\n");
        }
        await this.engine.io.forget(path);
        await writeFileAtomic(path, lines.join(""));
        this.indexLines = lines.length;
      })
      .catch((err: unknown) => this.opts.log?.warn("jsonl plans: rewriting plans/.index.jsonl failed", { error: String(err) }))
      .finally(() => {
        this.compaction = undefined;
      });
  }

  /** Brings memory in line with what `plans/<name>` now holds (see the file comment). */
  private async reconcile(name: string): Promise<void> {
    await this.engine.settled();
    const text = await fs.readFile(this.engine.path("plans", name), "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (text === undefined) {
      this.edits.clear(name);
      const id = this.names.get(name);
      const p = id === undefined ? undefined : this.plans.get(id);
      if (!p || this.edits.busy(p.id)) return;
      this.names.delete(name);
      await this.engine.tx([{ k: "planforget", id: p.id } as Op, this.changes.op({ domain: "plans", type: "plan.deleted", id: p.id, version: p.version })]);
      return;
    }
    let parsed: ParsedPlan;
    let id: string;
    try {
      parsed = parsePlanFile(text);
      id = planIdFor(name, parsed);
    } catch (err) {
      if (!(err instanceof PlanFileError)) throw err;
      this.edits.warn(name, err.message);
      return;
    }
    // No await from here to the tx: the checks and the write are one atomic step.
    if (this.edits.busy(id)) return; // the daemon's own write is on its way; its event comes next
    this.edits.clear(name);
    if (this.edits.knows(id, hashText(text))) return;
    const plan = planFromFile(this.now(), id, parsed, this.plans.get(id));
    this.names.set(name, id);
    await this.engine.tx([
      { k: "planedit", p: plan, c: text } as Op,
      this.changes.op({ domain: "plans", type: "plan.saved", id, version: plan.version, data: { status: plan.status } }),
    ]);
    this.maybeCompactIndex();
  }

  private plan(id: string): Plan {
    const p = this.plans.get(id);
    if (!p) throw notFound("plan", id);
    return p;
  }

  async savePlan(input: PlanSave & { id: string }) {
    const plan = structuredClone(savePlanRecord(this.plans.get(input.id), input, this.now()));
    await this.engine.tx([
      { k: "plan", p: plan } as Op,
      this.changes.op({ domain: "plans", type: "plan.saved", id: plan.id, version: plan.version, data: { status: plan.status } }),
    ]);
    this.maybeCompactIndex();
    return structuredClone(plan);
  }

  async getPlan(id: string) {
    return structuredClone(this.plan(id));
  }

  async listPlans(q: Omit<ListPlansParams, "limit"> & PageQuery): Promise<Page<PlanSummary>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2) as [string, string]);
    const all = [...this.plans.values()]
      .filter((p) => (q.sessionId === undefined || p.sessionId === q.sessionId) && (q.status === undefined || p.status === q.status))
      .map(summarizePlan)
      .sort(comparePlansDesc)
      .filter((p) => after === undefined || p.createdAt < after[0] || (p.createdAt === after[0] && p.id < after[1]));
    return structuredClone(firstPage(all, q.limit, planSortKey));
  }

  async deletePlan(id: string, expectedVersion?: number) {
    const p = this.plan(id);
    checkVersion("plan", p, expectedVersion);
    await this.engine.tx([{ k: "rmplan", id } as Op, this.changes.op({ domain: "plans", type: "plan.deleted", id, version: p.version })]);
  }
}
