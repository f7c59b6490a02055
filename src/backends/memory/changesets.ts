/**
 * In-memory changesets and invocations. Each write checks first, then mutates and records its
 * changes with no await in between, which makes it atomic.
 */
import type { ChangeSet, ChangeSetStatus, ChangeSetWithEntries, ChangeEntry, RecordResult, ToolInvocation } from "../../domain/changesets.js";
import { conflict, notFound } from "../../domain/errors.js";
import type { BackendOptions, ChangesetStore, InvocationInput, NewEntry, Page, PlanPageQuery } from "../contract.js";
import {
  buildInvocation, changesetKey, checkOpen, checkTransition, compareKeys, invocationKey, pageByKey, newChangeset, stampEntry,
} from "../common/changesets.js";
import type { MemoryChangeLog } from "./changes.js";

interface Stored {
  changeset: ChangeSet;
  /** Ascending seq; seq n is at index n − 1 (entries are never removed one by one). */
  entries: ChangeEntry[];
}


/** The per-plan index: adds `id` to the set under `planId`. */
function link(map: Map<string, Set<string>>, planId: string, id: string): void {
  const ids = map.get(planId);
  if (ids) ids.add(id);
  else map.set(planId, new Set([id]));
}

export class MemoryChangesets implements ChangesetStore {
  private readonly changesets = new Map<string, Stored>();
  private readonly changesetsByPlan = new Map<string, Set<string>>();
  private readonly invocations = new Map<string, ToolInvocation>();
  private readonly invocationsByPlan = new Map<string, Set<string>>();

  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}

  private now(): string {
    return this.opts.now().toISOString();
  }

  private stored(id: string): Stored {
    const s = this.changesets.get(id);
    if (!s) throw notFound("changeset", id);
    return s;
  }

  async start(input: { id: string; planId: string }): Promise<ChangeSet> {
    if (this.changesets.has(input.id)) {
      throw conflict(`changeset ${JSON.stringify(input.id)} already exists`, { id: input.id });
    }
    const changeset = newChangeset(input, this.now());
    this.changesets.set(input.id, { changeset, entries: [] });
    link(this.changesetsByPlan, input.planId, input.id);
    this.changes.record({ domain: "changesets", type: "changeset.started", id: input.id, data: { planId: input.planId } });
    return structuredClone(changeset);
  }

  async get(id: string): Promise<ChangeSetWithEntries> {
    const s = this.stored(id);
    return structuredClone({ ...s.changeset, entries: s.entries });
  }

  async record(changesetId: string, entries: NewEntry[]): Promise<RecordResult> {
    const s = this.stored(changesetId);
    checkOpen(s.changeset);
    const now = this.now();
    const firstSeq = s.entries.length + 1;
    const stamped = entries.map((e, i) => stampEntry(structuredClone(e), s.changeset, firstSeq + i, now));
    s.entries.push(...stamped);
    s.changeset = { ...s.changeset, updatedAt: now };
    const lastSeq = firstSeq + entries.length - 1;
    this.changes.record({
      domain: "changesets", type: "changeset.recorded", id: changesetId, data: { planId: s.changeset.planId, firstSeq, lastSeq },
    });
    return { changesetId, firstSeq, lastSeq, entryIds: stamped.map((e) => e.id) };
  }

  async listForPlan(q: PlanPageQuery): Promise<Page<ChangeSet>> {
    const ids = this.changesetsByPlan.get(q.planId) ?? [];
    return structuredClone(pageByKey([...ids].map((id) => this.stored(id).changeset), changesetKey, q));
  }

  async setStatus(id: string, status: ChangeSetStatus): Promise<ChangeSet> {
    const s = this.stored(id);
    if (checkTransition(s.changeset, status)) {
      const from = s.changeset.status;
      s.changeset = { ...s.changeset, status, updatedAt: this.now() };
      this.changes.record({ domain: "changesets", type: "changeset.recorded", id, data: { planId: s.changeset.planId, status, from } });
    }
    return structuredClone(s.changeset);
  }

  async deleteForPlan(planId: string): Promise<{ changesets: number; entries: number }> {
    const ids = [...(this.changesetsByPlan.get(planId) ?? [])].sort((a, b) =>
      compareKeys(changesetKey(this.stored(a).changeset), changesetKey(this.stored(b).changeset)));
    let entries = 0;
    for (const id of ids) {
      const n = this.stored(id).entries.length;
      entries += n;
      this.changesets.delete(id);
      this.changes.record({ domain: "changesets", type: "changeset.deleted", id, data: { planId, entries: n } });
    }
    this.changesetsByPlan.delete(planId);
    return { changesets: ids.length, entries };
  }

  async saveInvocation(input: InvocationInput): Promise<ToolInvocation> {
    const existing = this.invocations.get(input.id);
    const inv = buildInvocation(structuredClone(input), existing, this.now());
    this.invocations.set(inv.id, inv);
    link(this.invocationsByPlan, inv.planId, inv.id);
    this.changes.record({
      domain: "changesets", type: "invocation.saved", id: inv.id, data: { planId: inv.planId, status: inv.status, created: !existing },
    });
    return structuredClone(inv);
  }

  async getInvocation(id: string): Promise<ToolInvocation> {
    const inv = this.invocations.get(id);
    if (!inv) throw notFound("invocation", id);
    return structuredClone(inv);
  }

  async listInvocationsForPlan(q: PlanPageQuery): Promise<Page<ToolInvocation>> {
    const ids = this.invocationsByPlan.get(q.planId) ?? [];
    return structuredClone(pageByKey([...ids].map((id) => this.invocations.get(id) as ToolInvocation), invocationKey, q));
  }

  async deleteInvocationsForPlan(planId: string): Promise<{ invocations: number }> {
    const invs = [...(this.invocationsByPlan.get(planId) ?? [])]
      .map((id) => this.invocations.get(id) as ToolInvocation)
      .sort((a, b) => compareKeys(invocationKey(a), invocationKey(b)));
    for (const inv of invs) {
      this.invocations.delete(inv.id);
      this.changes.record({ domain: "changesets", type: "invocation.deleted", id: inv.id, data: { planId } });
    }
    this.invocationsByPlan.delete(planId);
    return { invocations: invs.length };
  }
}
