/**
 * Session groups on SQL: `session_groups` holds each group as JSON, keyed by its id in byte order
 * (= code point order), so get and the keyset-paged list both walk the primary key. Two units
 * creating one id race on the primary key; the loser's unit runs again (sql/storage.ts).
 */
import type { Group } from "../../domain/groups.js";
import type { GroupsReadPort, GroupsWritePort } from "../contract.js";
import type { Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

const parse = (r: { data: string }): Group => JSON.parse(r.data) as Group;

export class SqlGroupsPort implements GroupsReadPort, GroupsWritePort {
  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly lock: string,
    private readonly w: SqlWrites,
  ) {}

  async group(id: string) {
    const row = await this.q.get<{ data: string }>(`SELECT data FROM session_groups WHERE id = ?${this.lock}`, [id]);
    return row && parse(row);
  }

  async listGroups(after: string | undefined, limit: number) {
    const rows =
      after === undefined
        ? await this.q.all<{ data: string }>("SELECT data FROM session_groups ORDER BY id LIMIT ?", [limit])
        : await this.q.all<{ data: string }>("SELECT data FROM session_groups WHERE id > ? ORDER BY id LIMIT ?", [after, limit]);
    return rows.map(parse);
  }

  putGroup(next: Group, prev: Group | undefined): void {
    if (prev === undefined) this.w.run("INSERT INTO session_groups (id, data) VALUES (?, ?)", [next.id, JSON.stringify(next)]);
    else this.w.run("UPDATE session_groups SET data = ? WHERE id = ?", [JSON.stringify(next), next.id]);
  }

  deleteGroup(group: Group): void {
    this.w.run("DELETE FROM session_groups WHERE id = ?", [group.id]);
  }
}
