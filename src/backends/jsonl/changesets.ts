/**
 * jsonl changesets and tool invocations (formats: docs/decisions/jsonl-changesets.md):
 *
 *   changesets/<plan>/<changeset>.json           the changeset plus its lastSeq counter (replaced)
 *   changesets/<plan>/<changeset>.entries.jsonl  its entries, one per line, ascending seq (appended)
 *   invocations/<plan>/<invocation>.json         one ToolInvocation (replaced on every save)
 *
 * `<plan>`, `<changeset>`, `<invocation>` are encodeId of the ids. Memory (the memory model this
 * extends) holds the small changeset records and, per invocation, only its plan and startedAt;
 * entries and invocation bodies are read through the vfs when asked. Writes become file operations.
 */
import type { ChangeEntry, ToolInvocation } from "../../domain/changesets.js";
import type { PlanItemKey, StoredChangeset } from "../contract.js";
import { MemoryChangesetsPort } from "../memory/changesets.js";
import { encodeId } from "./encode.js";
import type { Files, Model } from "./engine.js";
import { linesForward } from "./lines.js";
import type { Vfs } from "./vfs.js";
import { dataDamaged } from "../../domain/errors.js";
import { parseStored } from "./parse.js";

const CS = "changesets";
const INV = "invocations";
const READ_BATCH = 16;

const metaPath = (planId: string, id: string) => `${CS}/${encodeId(planId)}/${encodeId(id)}.json`;
const entriesPath = (planId: string, id: string) => `${CS}/${encodeId(planId)}/${encodeId(id)}.entries.jsonl`;
const invPath = (planId: string, id: string) => `${INV}/${encodeId(planId)}/${encodeId(id)}.json`;
const pretty = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

export class JsonlChangesetsPort extends MemoryChangesetsPort implements Model {
  /** Invocation id → its plan (the body is in its file). */
  private readonly invocationPlans = new Map<string, string>();

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
  ) {
    super();
  }

  async load(): Promise<void> {
    this.changesets.clear();
    this.changesetsByPlan.clear();
    this.invocationPlans.clear();
    this.invocationsByPlan.clear();
    for (const cs of await this.records<StoredChangeset>(CS, (r) => metaPath(r.planId, r.id))) super.putChangeset(cs, undefined);
    for (const inv of await this.records<ToolInvocation>(INV, (r) => invPath(r.planId, r.id))) this.indexInvocation(inv);
  }

  /** Every `<root>/<plan>/<id>.json` a read sees, each checked to sit in the file its ids encode to. */
  private async records<R extends { id: string; planId: string }>(root: string, pathOf: (r: R) => string): Promise<R[]> {
    const dirs = new Set(await this.vfs.list(root));
    for (const path of this.vfs.paths.keys()) if (path.startsWith(`${root}/`)) dirs.add(path.split("/")[1]);
    const out: R[] = [];
    for (const dir of [...dirs].sort()) {
      if (dir.includes(".")) continue; // encoded ids hold no dot: not a plan folder
      for (const name of await this.vfs.list(`${root}/${dir}`)) {
        if (!name.endsWith(".json")) continue;
        const path = `${root}/${dir}/${name}`;
        const raw = await this.vfs.readAll(path);
        if (!raw) continue;
        const record = parseStored<R>(raw.toString("utf8"), path);
        if (pathOf(record) !== path) {
          throw dataDamaged(`${path} holds ${JSON.stringify(record.id)} of plan ${JSON.stringify(record.planId)}, which belongs in another file (case-insensitive file system?)`);
        }
        out.push(record);
      }
    }
    return out;
  }

  private indexInvocation(inv: ToolInvocation): void {
    this.invocationPlans.set(inv.id, inv.planId);
    this.invocationsByPlan.set(inv.planId, inv.id, inv.startedAt);
  }

  override async changeset(id: string) {
    const cs = this.changesets.get(id);
    if (cs) await this.vfs.know(metaPath(cs.planId, id), entriesPath(cs.planId, id));
    return super.changeset(id);
  }

  /** The record is taken and the entries file opened in one synchronous step, so they match. */
  override async changesetWithEntries(id: string) {
    const cs = this.changesets.get(id);
    if (!cs) return undefined;
    const changeset = { ...cs };
    const file = await this.vfs.open(entriesPath(cs.planId, id));
    const entries: ChangeEntry[] = [];
    if (file) {
      try {
        await linesForward(file, 0, (line) => {
          const e = JSON.parse(line.text) as ChangeEntry;
          if (e.seq <= changeset.lastSeq) entries.push(e);
          return true;
        });
      } finally {
        await file.close();
      }
    }
    return { changeset, entries };
  }

  override async changesetsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    const list = await super.changesetsOfPlan(planId, after, limit);
    await this.vfs.know(...list.flatMap((cs) => [metaPath(planId, cs.id), entriesPath(planId, cs.id)]));
    return list;
  }

  override async invocation(id: string) {
    const planId = this.invocationPlans.get(id);
    if (planId === undefined) return undefined;
    await this.vfs.know(invPath(planId, id));
    const raw = await this.vfs.readAll(invPath(planId, id));
    return raw && (JSON.parse(raw.toString("utf8")) as ToolInvocation);
  }

  override async invocationsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    const ids = this.invocationsByPlan.page(planId, after, limit);
    const out: ToolInvocation[] = [];
    for (let i = 0; i < ids.length; i += READ_BATCH) {
      for (const inv of await Promise.all(ids.slice(i, i + READ_BATCH).map((id) => this.invocation(id)))) if (inv) out.push(inv);
    }
    return out;
  }

  override putChangeset(next: StoredChangeset, prev: StoredChangeset | undefined): void {
    super.putChangeset(next, prev);
    if (!prev) {
      // A new changeset starts with an empty entries file, whatever a stale file there held.
      this.vfs.knowAbsent(metaPath(next.planId, next.id));
      this.vfs.knowAbsent(entriesPath(next.planId, next.id));
      this.files.replace(entriesPath(next.planId, next.id), "");
    }
    this.files.replace(metaPath(next.planId, next.id), pretty(next));
  }

  override insertEntries(changeset: StoredChangeset, entries: ChangeEntry[]): void {
    this.files.append(entriesPath(changeset.planId, changeset.id), entries.map((e) => JSON.stringify(e) + "\n").join(""));
  }

  override deleteChangeset(changeset: StoredChangeset): void {
    super.deleteChangeset(changeset);
    for (const path of [metaPath(changeset.planId, changeset.id), entriesPath(changeset.planId, changeset.id)]) {
      if (this.vfs.exists(path)) this.files.remove(path);
    }
  }

  override putInvocation(next: ToolInvocation, prev: ToolInvocation | undefined): void {
    if (prev) this.invocationsByPlan.delete(prev.planId, prev.id);
    this.indexInvocation(next);
    this.vfs.knowAbsent(invPath(next.planId, next.id));
    this.files.replace(invPath(next.planId, next.id), pretty(next));
  }

  override deleteInvocation(invocation: ToolInvocation): void {
    this.invocationPlans.delete(invocation.id);
    this.invocationsByPlan.delete(invocation.planId, invocation.id);
    const path = invPath(invocation.planId, invocation.id);
    if (this.vfs.exists(path)) this.files.remove(path);
  }
}
