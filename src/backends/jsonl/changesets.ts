/**
 * jsonl changesets and tool invocations. Files: ./changesets-files.ts. Memory holds the small
 * ChangeSet records and, per invocation, only its plan and times (SPEC P7); entries and invocation
 * bodies are read from the files when asked. Each write validates against memory with no await
 * before engine.tx, so writes are atomic and serialized; ops carry whole records or entries, so
 * replaying them after a crash is harmless.
 */
import type { ChangeSet, ChangeSetStatus, ChangeSetWithEntries, ChangeEntry, RecordResult, ToolInvocation } from "../../domain/changesets.js";
import { conflict, notFound } from "../../domain/errors.js";
import type { BackendOptions, ChangesetStore, InvocationInput, NewEntry, Page, PlanPageQuery } from "../contract.js";
import {
  buildInvocation, changesetKey, checkOpen, checkTransition, compareKeys, newChangeset, pageByKey, stampEntry,
} from "../common/changesets.js";
import type { JsonlChangeLog } from "./changes.js";
import { ChangesetFiles, pretty, type CsMeta } from "./changesets-files.js";
import type { JsonlDomain } from "./domain.js";
import type { Engine } from "./engine.js";
import type { Op } from "./journal.js";

/** What memory keeps of an invocation: enough to validate a save and to order a listing. */
interface InvMeta {
  planId: string;
  startedAt: string;
  finishedAt?: string;
}

interface PutChangeset extends Op { k: "cs.put"; cs: CsMeta }
interface AddEntries extends Op { k: "cs.entries"; planId: string; id: string; e: ChangeEntry[] }
interface PutInvocation extends Op { k: "inv.put"; inv: ToolInvocation }
/** Removes the listed records of a plan (the ids it had when the delete was validated) and its folder. */
interface RemovePlan extends Op { planId: string; ids: string[] }

const READ_BATCH = 16;
const publicCs = ({ lastSeq: _l, ...cs }: CsMeta): ChangeSet => ({ ...cs });

function link(map: Map<string, Set<string>>, planId: string, id: string): void {
  const ids = map.get(planId);
  if (ids) ids.add(id);
  else map.set(planId, new Set([id]));
}

function unlink(map: Map<string, Set<string>>, planId: string, id: string): void {
  const ids = map.get(planId);
  if (ids?.delete(id) && ids.size === 0) map.delete(planId);
}


export class JsonlChangesets implements ChangesetStore, JsonlDomain {
  /** Changesets as validated: every write's checks read this, and it changes inside engine.tx. */
  private readonly changesets = new Map<string, CsMeta>();
  /** Changesets as the files hold them (updated once a batch is applied): what `get` reads against. */
  private readonly applied = new Map<string, CsMeta>();
  private readonly changesetsByPlan = new Map<string, Set<string>>();
  private readonly invocations = new Map<string, InvMeta>();
  private readonly invocationsByPlan = new Map<string, Set<string>>();
  private readonly files: ChangesetFiles;

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {
    const f = (this.files = new ChangesetFiles(engine));
    engine.register<PutChangeset>("cs.put", {
      memory: (op) => this.putChangeset(op.cs),
      files: async (op, io) => {
        await f.ensureDir(f.csDir(op.cs.planId));
        io.rewrite(f.csPath(op.cs.planId, op.cs.id), pretty(op.cs));
      },
    });
    engine.register<AddEntries>("cs.entries", { files: (op, io) => f.appendEntries(op.planId, op.id, op.e, io) });
    engine.register<RemovePlan>("cs.rmplan", {
      memory: (op) => {
        for (const id of op.ids) {
          if (this.changesets.get(id)?.planId !== op.planId) continue; // replay: already re-created elsewhere
          this.changesets.delete(id);
          unlink(this.changesetsByPlan, op.planId, id);
        }
      },
      files: (op, io) => f.removeDir(f.csDir(op.planId), op.ids.flatMap((id) => [f.csPath(op.planId, id), f.entriesPath(op.planId, id)]), io),
    });
    engine.register<PutInvocation>("inv.put", {
      memory: (op) => this.putInvocation(op.inv),
      files: async (op, io) => {
        await f.ensureDir(f.invDir(op.inv.planId));
        io.rewrite(f.invPath(op.inv.planId, op.inv.id), pretty(op.inv));
      },
    });
    engine.register<RemovePlan>("inv.rmplan", {
      memory: (op) => {
        for (const id of op.ids) {
          if (this.invocations.get(id)?.planId !== op.planId) continue;
          this.invocations.delete(id);
          unlink(this.invocationsByPlan, op.planId, id);
        }
      },
      files: (op, io) => f.removeDir(f.invDir(op.planId), op.ids.map((id) => f.invPath(op.planId, id)), io),
    });
    engine.onApplied((ops) => {
      for (const op of ops) {
        if (op.k === "cs.put") this.applied.set((op as PutChangeset).cs.id, (op as PutChangeset).cs);
        if (op.k !== "cs.rmplan") continue;
        const { planId, ids } = op as RemovePlan;
        for (const id of ids) if (this.applied.get(id)?.planId === planId) this.applied.delete(id);
      }
    });
  }

  /** Reads every changeset record and invocation at open; only their small index stays in memory. */
  async load(): Promise<void> {
    const f = this.files;
    for (const cs of await f.readRecords<CsMeta>("changesets", (r) => f.csPath(r.planId, r.id))) {
      this.putChangeset(cs);
      this.applied.set(cs.id, cs);
    }
    for (const inv of await f.readRecords<ToolInvocation>("invocations", (r) => f.invPath(r.planId, r.id))) this.putInvocation(inv);
  }

  private putChangeset(cs: CsMeta): void {
    const old = this.changesets.get(cs.id);
    if (old && old.planId !== cs.planId) unlink(this.changesetsByPlan, old.planId, cs.id);
    this.changesets.set(cs.id, cs);
    link(this.changesetsByPlan, cs.planId, cs.id);
  }

  private putInvocation(inv: ToolInvocation): void {
    const old = this.invocations.get(inv.id);
    if (old && old.planId !== inv.planId) unlink(this.invocationsByPlan, old.planId, inv.id);
    const meta: InvMeta = { planId: inv.planId, startedAt: inv.startedAt };
    if (inv.finishedAt !== undefined) meta.finishedAt = inv.finishedAt;
    this.invocations.set(inv.id, meta);
    link(this.invocationsByPlan, inv.planId, inv.id);
  }

  private now = () => this.opts.now().toISOString();

  private current(id: string): CsMeta {
    const cs = this.changesets.get(id);
    if (!cs) throw notFound("changeset", id);
    return cs;
  }

  async start(input: { id: string; planId: string }): Promise<ChangeSet> {
    if (this.changesets.has(input.id)) throw conflict(`changeset ${JSON.stringify(input.id)} already exists`, { id: input.id });
    const cs: CsMeta = { ...newChangeset(input, this.now()), lastSeq: 0 };
    const put: PutChangeset = { k: "cs.put", cs };
    await this.engine.tx([put, this.changes.op({ domain: "changesets", type: "changeset.started", id: cs.id, data: { planId: cs.planId } })]);
    return publicCs(cs);
  }

  async get(id: string): Promise<ChangeSetWithEntries> {
    this.current(id);
    await this.engine.settled();
    const cs = this.applied.get(id); // the record and entry count the files hold now, read as one
    if (!cs) throw notFound("changeset", id);
    const entries = await this.files.readEntries(cs.planId, id, cs.lastSeq);
    if (this.applied.get(id)?.planId !== cs.planId) throw notFound("changeset", id); // deleted meanwhile
    return { ...publicCs(cs), entries };
  }

  async record(changesetId: string, entries: NewEntry[]): Promise<RecordResult> {
    const cs = this.current(changesetId);
    checkOpen(cs);
    const now = this.now();
    const firstSeq = cs.lastSeq + 1;
    const stamped = entries.map((e, i) => stampEntry(structuredClone(e), cs, firstSeq + i, now));
    const lastSeq = firstSeq + entries.length - 1;
    const add: AddEntries = { k: "cs.entries", planId: cs.planId, id: cs.id, e: stamped };
    const put: PutChangeset = { k: "cs.put", cs: { ...cs, updatedAt: now, lastSeq } };
    await this.engine.tx([
      add,
      put,
      this.changes.op({ domain: "changesets", type: "changeset.recorded", id: cs.id, data: { planId: cs.planId, firstSeq, lastSeq } }),
    ]);
    return { changesetId, firstSeq, lastSeq, entryIds: stamped.map((e) => e.id) };
  }

  async listForPlan(q: PlanPageQuery): Promise<Page<ChangeSet>> {
    const all = [...(this.changesetsByPlan.get(q.planId) ?? [])].map((id) => this.current(id));
    const { items: page, nextCursor } = pageByKey(all, changesetKey, q);
    return { items: page.map(publicCs), nextCursor };
  }

  async setStatus(id: string, status: ChangeSetStatus): Promise<ChangeSet> {
    const cs = this.current(id);
    if (!checkTransition(cs, status)) return publicCs(cs);
    const put: PutChangeset = { k: "cs.put", cs: { ...cs, status, updatedAt: this.now() } };
    await this.engine.tx([
      put,
      this.changes.op({ domain: "changesets", type: "changeset.recorded", id, data: { planId: cs.planId, status, from: cs.status } }),
    ]);
    return publicCs(put.cs);
  }

  async deleteForPlan(planId: string): Promise<{ changesets: number; entries: number }> {
    const doomed = [...(this.changesetsByPlan.get(planId) ?? [])].map((id) => this.current(id)).sort((a, b) => compareKeys(changesetKey(a), changesetKey(b)));
    if (doomed.length === 0) return { changesets: 0, entries: 0 };
    const rm: RemovePlan = { k: "cs.rmplan", planId, ids: doomed.map((cs) => cs.id) };
    await this.engine.tx([
      rm,
      ...doomed.map((cs) => this.changes.op({ domain: "changesets", type: "changeset.deleted", id: cs.id, data: { planId, entries: cs.lastSeq } })),
    ]);
    return { changesets: doomed.length, entries: doomed.reduce((n, cs) => n + cs.lastSeq, 0) };
  }

  async saveInvocation(input: InvocationInput): Promise<ToolInvocation> {
    const existing = this.invocations.get(input.id);
    // buildInvocation reads only planId, startedAt and finishedAt of the stored record: InvMeta.
    const inv = buildInvocation(structuredClone(input), existing as ToolInvocation | undefined, this.now());
    const put: PutInvocation = { k: "inv.put", inv };
    await this.engine.tx([
      put,
      this.changes.op({ domain: "changesets", type: "invocation.saved", id: inv.id, data: { planId: inv.planId, status: inv.status, created: !existing } }),
    ]);
    return structuredClone(inv); // the op's copy is still to be written to its file
  }

  async getInvocation(id: string): Promise<ToolInvocation> {
    if (!this.invocations.has(id)) throw notFound("invocation", id);
    await this.engine.settled();
    const meta = this.invocations.get(id);
    const inv = meta && (await this.files.readInvocation(meta.planId, id));
    if (!inv) throw notFound("invocation", id);
    return inv;
  }

  async listInvocationsForPlan(q: PlanPageQuery): Promise<Page<ToolInvocation>> {
    const all = [...(this.invocationsByPlan.get(q.planId) ?? [])].map((id): [string, InvMeta] => [id, this.invocations.get(id) as InvMeta]);
    const { items: page, nextCursor } = pageByKey(all, ([id, m]) => [m.startedAt, id], q);
    await this.engine.settled();
    const items: ToolInvocation[] = [];
    for (let i = 0; i < page.length; i += READ_BATCH) {
      const read = await Promise.all(page.slice(i, i + READ_BATCH).map(([id]) => this.files.readInvocation(q.planId, id)));
      for (const inv of read) if (inv) items.push(inv); // absent: deleted by a write after the listing was taken
    }
    return { items, nextCursor };
  }

  async deleteInvocationsForPlan(planId: string): Promise<{ invocations: number }> {
    const doomed = [...(this.invocationsByPlan.get(planId) ?? [])]
      .map((id): [string, string] => [(this.invocations.get(id) as InvMeta).startedAt, id])
      .sort(compareKeys)
      .map(([, id]) => id);
    if (doomed.length === 0) return { invocations: 0 };
    const rm: RemovePlan = { k: "inv.rmplan", planId, ids: doomed };
    await this.engine.tx([rm, ...doomed.map((id) => this.changes.op({ domain: "changesets", type: "invocation.deleted", id, data: { planId } }))]);
    return { invocations: doomed.length };
  }
}
