/**
 * Changesets and tool invocations on Redis (layout in keys.ts; docs/decisions/redis-changesets.md).
 * The changeset string `cs:<id>` holds the record plus its private `lastSeq`, and every write to a
 * changeset's entries (`ce:<id>`) also rewrites it, so its guard covers the entries too: record
 * calls from any number of daemons serialize on it. Per-plan lexicographic indexes (`csp:`, `ivp:`)
 * serve listing and deleting by plan; they are not guarded (a record started meanwhile is simply
 * ordered after the read), but every record read through them is.
 */
import type { ChangeEntry, ToolInvocation } from "../../domain/changesets.js";
import type { ChangesetsReadPort, ChangesetsWritePort, PlanItemKey, StoredChangeset } from "../contract.js";
import type { Command } from "./client.js";
import { lexId, lexMember } from "./keys.js";
import { RedisPort } from "./port.js";

const parse = <T>(raw: string | null): T | undefined => (raw === null ? undefined : (JSON.parse(raw) as T));

export class RedisChangesetsPort extends RedisPort implements ChangesetsReadPort, ChangesetsWritePort {

  async changeset(id: string) {
    return parse<StoredChangeset>(await this.get(this.k.changeset(id)));
  }

  /** One MULTI, so the record and exactly the entries written with it are read together. */
  async changesetWithEntries(id: string) {
    const res = await this.client.call((r) => r.multi().get(this.k.changeset(id)).zrange(this.k.changesetEntries(id), 0, -1).exec());
    const [[, raw], [, members]] = res as [[unknown, string | null], [unknown, string[]]];
    const changeset = parse<StoredChangeset>(raw);
    return changeset && { changeset, entries: members.map((m) => JSON.parse(m) as ChangeEntry) };
  }

  /** Records named by the plan index after `after`, walking on past members whose record went away. */
  private async planRecords<T>(index: string, recordKey: (id: string) => string, after: PlanItemKey | undefined, limit: number): Promise<T[]> {
    const out: T[] = [];
    let from = after === undefined ? "-" : "(" + lexMember(after[0], after[1]);
    while (out.length < limit) {
      const members = await this.client.call((r) => r.zrangebylex(index, from, "+", "LIMIT", 0, limit - out.length));
      if (members.length === 0) break;
      for (const raw of await this.mget(members.map((m) => recordKey(lexId(m))))) if (raw !== null) out.push(JSON.parse(raw) as T);
      from = "(" + members[members.length - 1];
    }
    return out;
  }

  changesetsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    return this.planRecords<StoredChangeset>(this.k.changesetsOfPlan(planId), this.k.changeset, after, limit);
  }

  async invocation(id: string) {
    return parse<ToolInvocation>(await this.get(this.k.invocation(id)));
  }

  invocationsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    return this.planRecords<ToolInvocation>(this.k.invocationsOfPlan(planId), this.k.invocation, after, limit);
  }

  putChangeset(next: StoredChangeset, prev: StoredChangeset | undefined): void {
    const member = lexMember(next.createdAt, next.id);
    const commands: Command[] = [["SET", this.k.changeset(next.id), JSON.stringify(next)]];
    if (prev && (prev.planId !== next.planId || prev.createdAt !== next.createdAt)) {
      commands.push(["ZREM", this.k.changesetsOfPlan(prev.planId), lexMember(prev.createdAt, prev.id)]);
    }
    if (!prev || prev.planId !== next.planId || prev.createdAt !== next.createdAt) commands.push(["ZADD", this.k.changesetsOfPlan(next.planId), 0, member]);
    this.writes.command(...commands);
  }

  insertEntries(changeset: StoredChangeset, entries: ChangeEntry[]): void {
    const zadd: Command = ["ZADD", this.k.changesetEntries(changeset.id)];
    for (const e of entries) zadd.push(e.seq, JSON.stringify(e));
    this.writes.command(zadd);
  }

  deleteChangeset(changeset: StoredChangeset): void {
    this.writes.command(
      ["ZREM", this.k.changesetsOfPlan(changeset.planId), lexMember(changeset.createdAt, changeset.id)],
      ["DEL", this.k.changeset(changeset.id), this.k.changesetEntries(changeset.id)],
    );
  }

  putInvocation(next: ToolInvocation, prev: ToolInvocation | undefined): void {
    const commands: Command[] = [["SET", this.k.invocation(next.id), JSON.stringify(next)]];
    if (prev && (prev.planId !== next.planId || prev.startedAt !== next.startedAt)) {
      commands.push(["ZREM", this.k.invocationsOfPlan(prev.planId), lexMember(prev.startedAt, prev.id)]);
    }
    commands.push(["ZADD", this.k.invocationsOfPlan(next.planId), 0, lexMember(next.startedAt, next.id)]);
    this.writes.command(...commands);
  }

  deleteInvocation(invocation: ToolInvocation): void {
    this.writes.command(
      ["ZREM", this.k.invocationsOfPlan(invocation.planId), lexMember(invocation.startedAt, invocation.id)],
      ["DEL", this.k.invocation(invocation.id)],
    );
  }
}
