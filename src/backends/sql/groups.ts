/**
 * Session groups on SQL: `session_groups` holds each group as JSON, keyed by its id in byte order
 * (= code point order), so get and the keyset-paged list both walk the primary key.
 */
import type { Group, GroupPut, GroupRollover } from "../../domain/groups.js";
import { notFound } from "../../domain/errors.js";
import type { GroupStore, Page, PageQuery } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { putGroupRecord, rolloverRecord } from "../common/groups.js";
import { checkVersion } from "../../core/sessions.js";
import { SqlStore } from "./store.js";
import type { TxSql } from "./db.js";

const parse = (r: { data: string }): Group => JSON.parse(r.data) as Group;

export class SqlGroups extends SqlStore implements GroupStore {
  private async load(q: TxSql, id: string): Promise<Group | undefined> {
    const row = await q.get<{ data: string }>(`SELECT data FROM session_groups WHERE id = ?${this.db.dialect.forUpdate}`, [id]);
    return row ? parse(row) : undefined;
  }

  /**
   * Computes the next record from the stored one and writes it with one change. A create races
   * other daemons on the primary key: when the insert finds the id taken, the winner's committed row
   * is loaded (locked) and the write is recomputed against it, as if it had been there all along.
   */
  private write(
    id: string,
    next: (existing: Group | undefined) => { group: Group; changed: boolean; data?: Record<string, unknown> },
  ): Promise<Group> {
    return this.tx(async (q) => {
      let existing = await this.load(q, id);
      let out = next(existing);
      if (!out.changed) return out.group;
      if (!existing) {
        const inserted = await q.run(`INSERT INTO session_groups (id, data) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, [id, JSON.stringify(out.group)]);
        if (inserted === 0) {
          existing = await this.load(q, id);
          out = next(existing);
          if (!out.changed) return out.group;
        }
      }
      if (existing) await q.run("UPDATE session_groups SET data = ? WHERE id = ?", [JSON.stringify(out.group), id]);
      await this.change(q, { domain: "groups", type: "group.saved", id, version: out.group.version, data: out.data });
      return out.group;
    });
  }

  async getGroup(id: string): Promise<Group> {
    const row = await this.db.read.get<{ data: string }>("SELECT data FROM session_groups WHERE id = ?", [id]);
    if (!row) throw notFound("group", id);
    return parse(row);
  }

  putGroup(input: GroupPut & { id: string }): Promise<Group> {
    return this.write(input.id, (existing) => ({
      group: putGroupRecord(existing, input, this.now()),
      changed: true,
      data: existing ? undefined : { created: true },
    }));
  }

  async listGroups(q: PageQuery): Promise<Page<Group>> {
    const rows =
      q.cursor === undefined
        ? await this.db.read.all<{ data: string }>("SELECT data FROM session_groups ORDER BY id LIMIT ?", [q.limit + 1])
        : await this.db.read.all<{ data: string }>("SELECT data FROM session_groups WHERE id > ? ORDER BY id LIMIT ?", [
            String(decodeCursor(q.cursor, 1)[0]),
            q.limit + 1,
          ]);
    const items = rows.slice(0, q.limit).map(parse);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeCursor([last.id]) : null };
  }

  deleteGroup(id: string, expectedVersion?: number): Promise<void> {
    return this.tx(async (q) => {
      const current = await this.load(q, id);
      if (!current) throw notFound("group", id);
      checkVersion("group", current, expectedVersion);
      await q.run("DELETE FROM session_groups WHERE id = ?", [id]);
      await this.change(q, { domain: "groups", type: "group.deleted", id, version: current.version });
    });
  }

  rollover(input: GroupRollover): Promise<Group> {
    return this.write(input.id, (existing) => {
      if (!existing && !input.createGroup) throw notFound("group", input.id);
      const { group, changed } = rolloverRecord(existing, input, this.now());
      const data = { rollover: true, previousSessionId: existing?.currentSessionId ?? null, currentSessionId: input.newSessionId };
      return { group, changed, data };
    });
  }
}
