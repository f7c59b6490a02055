/** In-memory groups. Each write checks, then mutates and records synchronously: that makes it atomic. */
import type { Group, GroupPut, GroupRollover } from "../../domain/groups.js";
import { notFound } from "../../domain/errors.js";
import type { BackendOptions, GroupStore, Page, PageQuery } from "../contract.js";
import { decodeCursor, firstPage } from "../../core/paging.js";
import { compareIds, putGroupRecord, rolloverRecord } from "../common/groups.js";
import { checkVersion } from "../../core/sessions.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryGroups implements GroupStore {
  private readonly groups = new Map<string, Group>();

  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}

  private now(): string {
    return this.opts.now().toISOString();
  }

  private group(id: string): Group {
    const g = this.groups.get(id);
    if (!g) throw notFound("group", id);
    return g;
  }

  private store(group: Group, data?: Record<string, unknown>): Group {
    this.groups.set(group.id, structuredClone(group));
    this.changes.record({ domain: "groups", type: "group.saved", id: group.id, version: group.version, data });
    return structuredClone(group);
  }

  async getGroup(id: string) {
    return structuredClone(this.group(id));
  }

  async putGroup(input: GroupPut & { id: string }) {
    const existing = this.groups.get(input.id);
    return this.store(putGroupRecord(existing, input, this.now()), existing ? undefined : { created: true });
  }

  async listGroups(q: PageQuery): Promise<Page<Group>> {
    const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, 1)[0]);
    const all = [...this.groups.values()]
      .filter((g) => after === undefined || compareIds(g.id, after) > 0)
      .sort((a, b) => compareIds(a.id, b.id));
    return structuredClone(firstPage(all, q.limit, (g) => [g.id]));
  }

  async deleteGroup(id: string, expectedVersion?: number) {
    const g = this.group(id);
    checkVersion("group", g, expectedVersion);
    this.groups.delete(id);
    this.changes.record({ domain: "groups", type: "group.deleted", id, version: g.version });
  }

  async rollover(input: GroupRollover) {
    const existing = this.groups.get(input.id);
    if (!existing && !input.createGroup) throw notFound("group", input.id);
    const { group, changed } = rolloverRecord(existing, input, this.now());
    if (!changed) return structuredClone(group);
    return this.store(group, { rollover: true, previousSessionId: existing?.currentSessionId ?? null, currentSessionId: input.newSessionId });
  }
}
