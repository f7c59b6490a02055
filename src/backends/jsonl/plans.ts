/**
 * jsonl plans: `plans/<encodeId(id)>.md`, Markdown with YAML front matter (format in plan-file.ts)
 * that a person may edit, add or delete while the daemon runs. Plans live in memory (the memory
 * model), bodies included: they are documents a person reviews, tens to hundreds per host, and it
 * lets the last good version of a file that a person broke keep being served.
 *
 * `plans/.index.jsonl` gets a line `{ h, p }` per write: the sha256 of the file content and the
 * record (without body) it stands for. At open a file whose hash is indexed is that record; any
 * other file was edited while no daemon ran and becomes the next version once open (through the
 * core, `PlanFileEvents.edited`). The index is rewritten (one line per plan) when it grows past 4
 * lines per plan.
 *
 * Hand edits: a watcher (plans-watch.ts) reports a changed file. Content the daemon wrote itself is
 * recognised by its hash and ignored, and so is a file with a write of the daemon's own on its way.
 * Otherwise the layout says what the file now holds and the core decides the record
 * (CorePlans.edited / removed), in a unit of work like any other write: the record, an index line
 * and the person's text (`files.adopt`: journaled so that replay restores it, never written over
 * the file meanwhile) go into one journal line. A file that does not parse is a warning (daemon.health) until fixed, and the last good
 * version stays in effect.
 */
import type { Plan } from "../../domain/plans.js";
import type { BackendLog, PlanEdit } from "../contract.js";
import { MemoryPlansPort } from "../memory/plans.js";
import { encodeId } from "./encode.js";
import type { Files, Model } from "./engine.js";
import { HandEdits, hashText } from "./hand-edited.js";
import { completePlan, parsePlanFile, PlanFileError, planIdFor, serializePlan, type ParsedPlan } from "./plan-file.js";
import { DirWatcher } from "./plans-watch.js";
import type { Vfs } from "./vfs.js";

const DIR = "plans";
const INDEX = `${DIR}/.index.jsonl`;
const fileName = (id: string) => `${encodeId(id)}.md`;
const path = (id: string) => `${DIR}/${fileName(id)}`;
const summary = ({ body: _body, ...rest }: Plan) => rest;

/** A line of `plans/.index.jsonl`: the record that the file content with hash `h` stands for. */
interface IndexLine {
  h: string;
  p: Omit<Plan, "body">;
}

/** Where the layout reports hand edits: the core's plan operations (wired by JsonlBackend). */
export interface PlanFileEvents {
  edited(id: string, edit: PlanEdit, source: string, current: () => boolean): Promise<unknown>;
  removed(id: string, current: () => boolean): Promise<void>;
}

export class JsonlPlansPort extends MemoryPlansPort implements Model {
  /** File name → id, for deletions of files whose name does not decode (hashed long ids). */
  private readonly names = new Map<string, string>();
  /** Own-write hashes and warnings (hand-edited.ts). */
  private readonly edits: HandEdits;
  /** Writes of the store's own per plan id: a hand edit read before one of them is stale. */
  private readonly writes = new Map<string, number>();
  private pendingAtOpen: string[] = [];
  private indexLines = 0;
  private readonly watcher: DirWatcher;
  private watching = false;
  events?: PlanFileEvents;

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
    private readonly log: BackendLog | undefined,
  ) {
    super();
    this.edits = new HandEdits("plans", log);
    this.watcher = new DirWatcher(vfs.abs(DIR), ".md", (name) => this.reconcile(name), (err) => {
      this.log?.warn("jsonl plans: watching plans/ failed", { error: String(err) });
    });
  }

  warnings(): string[] {
    return this.edits.warnings();
  }

  async load(): Promise<void> {
    this.plans.clear();
    this.names.clear();
    this.pendingAtOpen = [];
    const indexed = new Map<string, IndexLine>();
    await this.vfs.know(INDEX);
    const indexText = (await this.vfs.readAll(INDEX))?.toString("utf8") ?? "";
    let lines = 0;
    for (const line of indexText.split("\n")) {
      if (line === "") continue;
      lines++;
      try {
        const e = JSON.parse(line) as IndexLine;
        indexed.set(e.p.id, e);
      } catch {
        // not ours to fail on: the entry only saves a version bump; the file becomes a new version instead
      }
    }
    this.indexLines = lines;
    for (const name of await this.vfs.list(DIR)) {
      if (!name.endsWith(".md")) continue;
      const text = (await this.vfs.readAll(`${DIR}/${name}`))?.toString("utf8");
      if (text === undefined) continue;
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
      const entry = indexed.get(id);
      const complete = completePlan(parsed, id);
      this.names.set(name, id);
      if (entry?.h === hash) this.plans.set(id, { ...entry.p, body: parsed.body });
      else if (complete && !entry) this.plans.set(id, complete); // no index entry (lost, or a copied directory): trust the front matter
      else {
        // Edited while no daemon ran: once open, it becomes the next version of what was indexed.
        this.pendingAtOpen.push(name);
        if (entry) this.plans.set(id, { ...entry.p, body: parsed.body, version: Math.max(parsed.version ?? 0, entry.p.version) });
        continue;
      }
      this.edits.remember(id, hash);
    }
    if (this.watching) for (const name of this.pendingAtOpen.splice(0)) void this.reconcile(name);
  }

  /** After open: watch plans/ and adopt the files edited while no daemon ran. */
  async start(): Promise<void> {
    await this.watcher.start();
    this.watching = true;
    for (const name of this.pendingAtOpen.splice(0)) await this.reconcile(name);
  }

  /** Stops the watcher; resolves when no handler runs. */
  async stop(): Promise<void> {
    this.watching = false;
    await this.watcher.stop();
  }

  override async plan(id: string) {
    await this.vfs.know(path(id));
    return super.plan(id);
  }

  override putPlan(next: Plan, prev: Plan | undefined, source?: string): void {
    super.putPlan(next, prev, source);
    const text = source ?? serializePlan(next);
    if (source === undefined) this.files.replace(path(next.id), text);
    else this.files.adopt(path(next.id), text);
    const hash = hashText(text);
    this.edits.remember(next.id, hash);
    this.names.set(fileName(next.id), next.id);
    this.wrote(next.id);
    this.files.append(INDEX, JSON.stringify({ h: hash, p: summary(next) } satisfies IndexLine) + "\n");
    if (++this.indexLines > 4 * this.plans.size + 256) this.compactIndex();
  }

  override deletePlan(plan: Plan): void {
    super.deletePlan(plan);
    this.files.remove(path(plan.id)); // also when a person removed it already: the vfs may not know yet
    this.edits.forget(plan.id);
    this.names.delete(fileName(plan.id));
    this.wrote(plan.id);
  }

  private wrote(id: string): void {
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
  }

  /** The index with one line per plan (the hash its file now stands for). */
  private compactIndex(): void {
    const lines: string[] = [];
    for (const p of this.plans.values()) {
      const h = this.edits.latest(p.id);
      if (h !== undefined) lines.push(JSON.stringify({ h, p: summary(p) } satisfies IndexLine) + "\n");
    }
    this.files.replace(INDEX, lines.join(""));
    this.indexLines = lines.length;
  }

  /** Reports what `plans/<name>` now holds to the core (see the file comment). */
  private async reconcile(name: string): Promise<void> {
    const events = this.events;
    const file = `${DIR}/${name}`;
    if (!events || this.vfs.pending(file)) return; // the store's own write is on its way; its event comes next
    const known = this.names.get(name);
    const count = (id: string) => this.writes.get(id) ?? 0;
    const before = known === undefined ? 0 : count(known);
    const current = (id: string, seen: number) => () => count(id) === seen && !this.vfs.pending(file);
    const raw = await this.vfs.readAll(file);
    if (raw === undefined) {
      this.edits.clear(name);
      if (known === undefined || !this.plans.has(known)) return;
      await events.removed(known, current(known, before));
      return;
    }
    const text = raw.toString("utf8");
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
    this.edits.clear(name);
    if (this.edits.knows(id, hashText(text))) return;
    await events.edited(id, parsed, text, current(id, id === known ? before : count(id)));
  }
}
