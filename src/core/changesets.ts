/**
 * Changesets and tool invocations (SPEC §3.6), written once over the storage primitives
 * (src/backends/contract/ports/changesets.ts); record rules in ./changeset-rules.ts.
 */
import type { ChangeEntry, ChangeSet, ChangeSetStatus, ChangeSetWithEntries, RecordResult, ToolInvocation } from "../domain/changesets.js";
import { conflict, notFound } from "../domain/errors.js";
import type { ChangesetStore, InvocationInput, NewEntry, Page, PlanItemKey, PlanPageQuery, Storage, StoredChangeset, UnitOfWork } from "../backends/contract.js";
import {
  buildInvocation, changesetKey, checkOpen, checkTransition, invocationKey, newChangeset, publicChangeset, restoredChangeset, stampEntry,
} from "./changeset-rules.js";
import { decodeCursor, pageOf } from "./paging.js";
import { clone } from "../domain/clone.js";

type Changesets = UnitOfWork["changesets"];

/** How many records of a plan one deleteForPlan reads per step. */
const DELETE_BATCH = 1000;

async function mustGet(c: Pick<Changesets, "changeset">, id: string): Promise<StoredChangeset> {
  const cs = await c.changeset(id);
  if (!cs) throw notFound("changeset", id);
  return cs;
}

const after = (cursor: string | undefined): PlanItemKey | undefined =>
  cursor === undefined ? undefined : (decodeCursor(cursor, 2, ["string", "string"]) as [string, string]);

/** Every record of a plan, in listing order, read in steps (locked/guarded inside a unit). */
async function allOfPlan<T>(list: (after: PlanItemKey | undefined, limit: number) => Promise<T[]>, key: (t: T) => PlanItemKey): Promise<T[]> {
  const out: T[] = [];
  for (let from: PlanItemKey | undefined; ; ) {
    const rows = await list(from, DELETE_BATCH);
    out.push(...rows);
    if (rows.length < DELETE_BATCH) return out;
    from = key(rows[rows.length - 1]);
  }
}

export class CoreChangesets implements ChangesetStore {
  constructor(private readonly storage: Storage) {}

  async start(input: { id: string; planId: string }): Promise<ChangeSet> {
    return this.storage.write(async (u) => {
      if (await u.changesets.changeset(input.id)) throw conflict(`changeset ${JSON.stringify(input.id)} already exists`, { id: input.id });
      const cs = newChangeset(input, u.now);
      u.changesets.putChangeset(cs, undefined);
      u.change({ domain: "changesets", type: "changeset.started", id: cs.id, data: { planId: cs.planId } });
      return publicChangeset(cs);
    });
  }

  async get(id: string): Promise<ChangeSetWithEntries> {
    return this.storage.read(async (r) => {
      const found = await r.changesets.changesetWithEntries(id);
      if (!found) throw notFound("changeset", id);
      return { ...publicChangeset(found.changeset), entries: found.entries };
    });
  }

  async record(changesetId: string, entries: NewEntry[]): Promise<RecordResult> {
    return this.storage.write(async (u) => {
      const cs = await mustGet(u.changesets, changesetId);
      checkOpen(cs);
      const firstSeq = cs.lastSeq + 1;
      const stamped = entries.map((e, i) => stampEntry(clone(e), cs, firstSeq + i, u.now));
      const lastSeq = cs.lastSeq + stamped.length;
      u.changesets.insertEntries(cs, stamped);
      u.changesets.putChangeset({ ...cs, updatedAt: u.now, lastSeq }, cs);
      u.change({ domain: "changesets", type: "changeset.recorded", id: cs.id, data: { planId: cs.planId, firstSeq, lastSeq } });
      return { changesetId, firstSeq, lastSeq, entryIds: stamped.map((e) => e.id) };
    });
  }

  async listForPlan(q: PlanPageQuery): Promise<Page<ChangeSet>> {
    return this.storage.read(async (r) => {
      const from = after(q.cursor);
      const page = pageOf(await r.changesets.changesetsOfPlan(q.planId, from, q.limit + 1), q.limit, changesetKey);
      return { items: page.items.map(publicChangeset), nextCursor: page.nextCursor };
    });
  }

  async setStatus(id: string, status: ChangeSetStatus): Promise<ChangeSet> {
    return this.storage.write(async (u) => {
      const cs = await mustGet(u.changesets, id);
      if (!checkTransition(cs, status)) return publicChangeset(cs);
      const next: StoredChangeset = { ...cs, status, updatedAt: u.now };
      u.changesets.putChangeset(next, cs);
      u.change({ domain: "changesets", type: "changeset.recorded", id, data: { planId: cs.planId, status, from: cs.status } });
      return publicChangeset(next);
    });
  }

  /** Entries are dense from 1 and never removed singly, so a changeset's lastSeq is how many it has. */
  async deleteForPlan(planId: string): Promise<{ changesets: number; entries: number }> {
    return this.storage.write(async (u) => {
      const doomed = await allOfPlan((a, n) => u.changesets.changesetsOfPlan(planId, a, n), changesetKey);
      let entries = 0;
      for (const cs of doomed) {
        entries += cs.lastSeq;
        u.changesets.deleteChangeset(cs);
        u.change({ domain: "changesets", type: "changeset.deleted", id: cs.id, data: { planId, entries: cs.lastSeq } });
      }
      return { changesets: doomed.length, entries };
    });
  }

  async saveInvocation(input: InvocationInput): Promise<ToolInvocation> {
    return this.storage.write(async (u) => {
      const existing = await u.changesets.invocation(input.id);
      const inv = buildInvocation(clone(input), existing, u.now);
      u.changesets.putInvocation(inv, existing);
      u.change({ domain: "changesets", type: "invocation.saved", id: inv.id, data: { planId: inv.planId, status: inv.status, created: !existing } });
      return clone(inv);
    });
  }

  async getInvocation(id: string): Promise<ToolInvocation> {
    return this.storage.read(async (r) => {
      const inv = await r.changesets.invocation(id);
      if (!inv) throw notFound("invocation", id);
      return inv;
    });
  }

  async listInvocationsForPlan(q: PlanPageQuery): Promise<Page<ToolInvocation>> {
    return this.storage.read(async (r) => pageOf(await r.changesets.invocationsOfPlan(q.planId, after(q.cursor), q.limit + 1), q.limit, invocationKey));
  }

  async deleteInvocationsForPlan(planId: string): Promise<{ invocations: number }> {
    return this.storage.write(async (u) => {
      const doomed = await allOfPlan((a, n) => u.changesets.invocationsOfPlan(planId, a, n), invocationKey);
      for (const inv of doomed) {
        u.changesets.deleteInvocation(inv);
        u.change({ domain: "changesets", type: "invocation.deleted", id: inv.id, data: { planId } });
      }
      return { invocations: doomed.length };
    });
  }

  /** The restore path (RestoreStore.changeset): the changeset as given, replacing a stored one and its entries. */
  async restoreChangeset(changeset: ChangeSet, entries: ChangeEntry[]): Promise<void> {
    return this.storage.write(async (u) => {
      const next = restoredChangeset(changeset, entries);
      const stored = await u.changesets.changeset(changeset.id);
      if (stored) u.changesets.deleteChangeset(stored);
      u.changesets.putChangeset(next, undefined);
      if (entries.length > 0) u.changesets.insertEntries(next, clone(entries));
      u.change({ domain: "changesets", type: "changeset.started", id: next.id, data: { planId: next.planId, restored: true } });
    });
  }

  /** The restore path (RestoreStore.invocation): the invocation as given, replacing a stored one (of any plan). */
  async restoreInvocation(invocation: ToolInvocation): Promise<void> {
    return this.storage.write(async (u) => {
      const stored = await u.changesets.invocation(invocation.id);
      if (stored && stored.planId !== invocation.planId) u.changesets.deleteInvocation(stored);
      u.changesets.putInvocation(clone(invocation), stored?.planId === invocation.planId ? stored : undefined);
      u.change({
        domain: "changesets", type: "invocation.saved", id: invocation.id,
        data: { planId: invocation.planId, status: invocation.status, created: !stored, restored: true },
      });
    });
  }
}
