/**
 * Changesets and tool invocations on Redis (layout in keys.ts; docs/decisions/redis-changesets.md).
 * The changeset string holds the record plus its private `lastSeq`, so it is the one guard that
 * serializes record and setStatus calls: seqs come out dense however many daemons record at once.
 * Per-plan lexicographic indexes serve listing and deleting by plan without touching other plans.
 */
import type { ChangeEntry, ChangeSet, ChangeSetStatus, ChangeSetWithEntries, RecordResult, ToolInvocation } from "../../domain/changesets.js";
import { conflict, invalidParams, notFound } from "../../domain/errors.js";
import type { BackendOptions, ChangeInput, ChangesetStore, InvocationInput, NewEntry, Page, PlanPageQuery } from "../contract.js";
import { buildInvocation, changesetKey, checkOpen, checkTransition, invocationKey, newChangeset, stampEntry } from "../common/changesets.js";
import { decodeCursor } from "../../core/paging.js";
import type { Command, Guard, RedisClient } from "./client.js";
import { lexId, lexMember, type Keys } from "./keys.js";
import { lexPage } from "./pages.js";
import type { WritePlan, Writer } from "./write.js";

/** What `cs:<id>` holds: the record and the last seq handed out. */
type StoredChangeset = ChangeSet & { lastSeq: number };

const record = ({ lastSeq: _seq, ...cs }: StoredChangeset): ChangeSet => cs;

export class RedisChangesets implements ChangesetStore {
  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {}

  private now = () => this.opts.now().toISOString();

  private async read(id: string): Promise<{ raw: string; stored: StoredChangeset }> {
    const raw = await this.client.call((r) => r.get(this.keys.changeset(id)));
    if (raw === null) throw notFound("changeset", id);
    return { raw, stored: JSON.parse(raw) as StoredChangeset };
  }

  start(input: { id: string; planId: string }): Promise<ChangeSet> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<ChangeSet>> => {
      if ((await this.client.call((r) => r.exists(k.changeset(input.id)))) > 0) {
        throw conflict(`changeset ${JSON.stringify(input.id)} already exists`, { id: input.id });
      }
      const cs = newChangeset(input, this.now());
      const stored: StoredChangeset = { ...cs, lastSeq: 0 };
      return {
        guards: [{ key: k.changeset(cs.id), expect: null }],
        changes: [{ domain: "changesets", type: "changeset.started", id: cs.id, data: { planId: cs.planId } }],
        commands: [["SET", k.changeset(cs.id), JSON.stringify(stored)], ["ZADD", k.changesetsOfPlan(cs.planId), 0, lexMember(...changesetKey(cs))]],
        result: cs,
      };
    });
  }

  /** One MULTI, so the record and exactly the entries written with it are read together. */
  async get(id: string): Promise<ChangeSetWithEntries> {
    const res = await this.client.call((r) => r.multi().get(this.keys.changeset(id)).zrange(this.keys.changesetEntries(id), 0, -1).exec());
    const [[, raw], [, members]] = res as [[unknown, string | null], [unknown, string[]]];
    if (raw === null) throw notFound("changeset", id);
    return { ...record(JSON.parse(raw) as StoredChangeset), entries: members.map((m) => JSON.parse(m) as ChangeEntry) };
  }

  record(changesetId: string, entries: NewEntry[]): Promise<RecordResult> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<RecordResult>> => {
      const { raw, stored } = await this.read(changesetId);
      checkOpen(stored);
      const now = this.now();
      const firstSeq = stored.lastSeq + 1;
      const stamped = entries.map((e, i) => stampEntry(e, stored, firstSeq + i, now));
      const lastSeq = stored.lastSeq + stamped.length;
      const zadd: Command = ["ZADD", k.changesetEntries(changesetId)];
      for (const e of stamped) zadd.push(e.seq, JSON.stringify(e));
      return {
        guards: [{ key: k.changeset(changesetId), expect: raw }],
        changes: [{ domain: "changesets", type: "changeset.recorded", id: changesetId, data: { planId: stored.planId, firstSeq, lastSeq } }],
        commands: [zadd, ["SET", k.changeset(changesetId), JSON.stringify({ ...stored, updatedAt: now, lastSeq })]],
        result: { changesetId, firstSeq, lastSeq, entryIds: stamped.map((e) => e.id) },
      };
    });
  }

  listForPlan(query: PlanPageQuery): Promise<Page<ChangeSet>> {
    return this.planPage(this.keys.changesetsOfPlan(query.planId), query, this.keys.changeset, (raw) => record(JSON.parse(raw) as StoredChangeset), changesetKey);
  }

  setStatus(id: string, status: ChangeSetStatus): Promise<ChangeSet> {
    return this.writer.write(async (): Promise<WritePlan<ChangeSet>> => {
      const { raw, stored } = await this.read(id);
      if (!checkTransition(stored, status)) return { guards: [], changes: [], commands: [], result: record(stored) };
      const next: StoredChangeset = { ...stored, status, updatedAt: this.now() };
      return {
        guards: [{ key: this.keys.changeset(id), expect: raw }],
        changes: [{ domain: "changesets", type: "changeset.recorded", id, data: { planId: stored.planId, status, from: stored.status } }],
        commands: [["SET", this.keys.changeset(id), JSON.stringify(next)]],
        result: record(next),
      };
    });
  }

  /**
   * Deletes the changesets the plan's index lists, each guarded by the record read (so a record
   * call in flight either lands before, and its entries are counted, or fails and finds nothing).
   * Only the members read leave the index: a changeset started meanwhile is ordered after this.
   */
  deleteForPlan(planId: string): Promise<{ changesets: number; entries: number }> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<{ changesets: number; entries: number }>> => {
      const index = k.changesetsOfPlan(planId);
      const members = await this.client.call((r) => r.zrange(index, 0, -1));
      if (members.length === 0) return { guards: [], changes: [], commands: [], result: { changesets: 0, entries: 0 } };
      const ids = members.map(lexId);
      const raws = await this.client.call((r) => r.mget(...ids.map((id) => k.changeset(id))));
      const guards: Guard[] = [];
      const changes: ChangeInput[] = [];
      const commands: Command[] = [["ZREM", index, ...members]];
      let entries = 0;
      ids.forEach((id, i) => {
        const raw = raws[i];
        guards.push({ key: k.changeset(id), expect: raw });
        if (raw === null) return; // deleted by a concurrent call since the index was read
        const n = (JSON.parse(raw) as StoredChangeset).lastSeq; // seqs are dense and entries never removed singly
        entries += n;
        changes.push({ domain: "changesets", type: "changeset.deleted", id, data: { planId, entries: n } });
        commands.push(["DEL", k.changeset(id), k.changesetEntries(id)]);
      });
      return { guards, changes, commands, result: { changesets: changes.length, entries } };
    });
  }

  saveInvocation(input: InvocationInput): Promise<ToolInvocation> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<ToolInvocation>> => {
      const raw = await this.client.call((r) => r.get(k.invocation(input.id)));
      const existing = raw === null ? undefined : (JSON.parse(raw) as ToolInvocation);
      const inv = buildInvocation(structuredClone(input), existing, this.now());
      const index = k.invocationsOfPlan(inv.planId);
      const commands: Command[] = [["SET", k.invocation(inv.id), JSON.stringify(inv)]];
      if (existing && existing.startedAt !== inv.startedAt) commands.push(["ZREM", index, lexMember(...invocationKey(existing))]);
      commands.push(["ZADD", index, 0, lexMember(...invocationKey(inv))]);
      return {
        guards: [{ key: k.invocation(inv.id), expect: raw }],
        changes: [{ domain: "changesets", type: "invocation.saved", id: inv.id, data: { planId: inv.planId, status: inv.status, created: !existing } }],
        commands,
        result: inv,
      };
    });
  }

  async getInvocation(id: string): Promise<ToolInvocation> {
    const raw = await this.client.call((r) => r.get(this.keys.invocation(id)));
    if (raw === null) throw notFound("invocation", id);
    return JSON.parse(raw) as ToolInvocation;
  }

  listInvocationsForPlan(query: PlanPageQuery): Promise<Page<ToolInvocation>> {
    return this.planPage(this.keys.invocationsOfPlan(query.planId), query, this.keys.invocation, (raw) => JSON.parse(raw) as ToolInvocation, invocationKey);
  }

  /** Each invocation is guarded by the record read: a save moving its startedAt makes this retry. */
  deleteInvocationsForPlan(planId: string): Promise<{ invocations: number }> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<{ invocations: number }>> => {
      const index = k.invocationsOfPlan(planId);
      const members = await this.client.call((r) => r.zrange(index, 0, -1));
      if (members.length === 0) return { guards: [], changes: [], commands: [], result: { invocations: 0 } };
      const ids = members.map(lexId);
      const raws = await this.client.call((r) => r.mget(...ids.map((id) => k.invocation(id))));
      return {
        guards: ids.map((id, i) => ({ key: k.invocation(id), expect: raws[i] })),
        changes: ids.map((id): ChangeInput => ({ domain: "changesets", type: "invocation.deleted", id, data: { planId } })),
        commands: [["ZREM", index, ...members], ["DEL", ...ids.map((id) => k.invocation(id))]],
        result: { invocations: ids.length },
      };
    });
  }

  /** Ascending (time, id) through the plan's index; the cursor is that pair. */
  private async planPage<T>(index: string, query: PlanPageQuery, keyOf: (id: string) => string, parse: (raw: string) => T, sortKey: (item: T) => [string, string]): Promise<Page<T>> {
    let after: string | undefined;
    if (query.cursor !== undefined) {
      const [at, id] = decodeCursor(query.cursor, 2);
      if (typeof at !== "string" || typeof id !== "string") throw invalidParams("cursor is not one this server issued", "/cursor");
      after = lexMember(at, id);
    }
    return lexPage(this.client, { index, order: "asc", after, limit: query.limit, recordKey: (m) => keyOf(lexId(m)), parse, cursorOf: sortKey });
  }
}
