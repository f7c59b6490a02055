/**
 * Session groups (SPEC §3.2), written once over the storage primitives
 * (src/backends/contract/ports/groups.ts).
 */
import type { Group, GroupPut, GroupRollover } from "../domain/groups.js";
import { notFound } from "../domain/errors.js";
import type { GroupStore, Page, PageQuery, Storage, UnitOfWork } from "../backends/contract.js";
import { checkRestoredVersion, putGroupRecord, rolloverRecord } from "./group-records.js";
import { decodeCursor, pageOf } from "./paging.js";
import { checkVersion } from "./sessions.js";
import { clone } from "../domain/clone.js";

function saved(u: UnitOfWork, group: Group, prev: Group | undefined, data?: Record<string, unknown>): Group {
  u.groups.putGroup(group, prev);
  u.change({ domain: "groups", type: "group.saved", id: group.id, version: group.version, data });
  return group;
}

export class CoreGroups implements GroupStore {
  constructor(private readonly storage: Storage) {}

  async getGroup(id: string): Promise<Group> {
    return this.storage.read(async (r) => {
      const g = await r.groups.group(id);
      if (!g) throw notFound("group", id);
      return g;
    });
  }

  async putGroup(input: GroupPut & { id: string }): Promise<Group> {
    return this.storage.write(async (u) => {
      const existing = await u.groups.group(input.id);
      const next = putGroupRecord(existing, clone(input), u.now);
      return saved(u, next, existing, existing ? undefined : { created: true });
    });
  }

  async listGroups(q: PageQuery): Promise<Page<Group>> {
    const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, 1, ["string"])[0]);
    return this.storage.read(async (r) => pageOf(await r.groups.listGroups(after, q.limit + 1), q.limit, (g) => [g.id]));
  }

  async deleteGroup(id: string, expectedVersion?: number): Promise<void> {
    return this.storage.write(async (u) => {
      const g = await u.groups.group(id);
      if (!g) throw notFound("group", id);
      checkVersion("group", g, expectedVersion);
      u.groups.deleteGroup(g);
      u.change({ domain: "groups", type: "group.deleted", id, version: g.version });
    });
  }

  async rollover(input: GroupRollover): Promise<Group> {
    return this.storage.write(async (u) => {
      const existing = await u.groups.group(input.id);
      if (!existing && !input.createGroup) throw notFound("group", input.id);
      const { group, changed } = rolloverRecord(existing, input, u.now);
      if (!changed) return group;
      return saved(u, group, existing, { rollover: true, previousSessionId: existing?.currentSessionId ?? null, currentSessionId: input.newSessionId });
    });
  }

  /** The restore path for groups (RestoreStore.group): the record as given, replacing a stored one. */
  async restore(group: Group): Promise<void> {
    checkRestoredVersion("group", group);
    return this.storage.write(async (u) => {
      const stored = await u.groups.group(group.id);
      saved(u, clone(group), stored, { restored: true });
    });
  }
}
