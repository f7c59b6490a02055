/**
 * Session groups on Redis (layout in keys.ts): the record as JSON under `g:<id>` and every id in the
 * lexicographic sorted set `groups`, whose byte order is the contract's code point order. Inside a
 * unit of work, reading a record guards its key.
 */
import type { Group } from "../../domain/groups.js";
import type { GroupsReadPort, GroupsWritePort } from "../contract.js";
import { RedisPort } from "./port.js";

export class RedisGroupsPort extends RedisPort implements GroupsReadPort, GroupsWritePort {
  async group(id: string) {
    const key = this.k.group(id);
    const raw = await this.get(key);
    return raw === null ? undefined : (JSON.parse(raw) as Group);
  }

  /** Loops only when records vanished between the index read and the MGET (a concurrent delete). */
  async listGroups(after: string | undefined, limit: number) {
    const k = this.k;
    let min = after === undefined ? "-" : "(" + after;
    const items: Group[] = [];
    while (items.length < limit) {
      const want = limit - items.length;
      const ids = await this.client.call((r) => r.zrangebylex(k.groups(), min, "+", "LIMIT", 0, want));
      if (ids.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...ids.map((id) => k.group(id))));
      for (const raw of raws) if (raw !== null) items.push(JSON.parse(raw) as Group);
      if (ids.length < want) break;
      min = "(" + ids[ids.length - 1];
    }
    return items;
  }

  putGroup(next: Group, _prev: Group | undefined): void {
    this.writes.command(["SET", this.k.group(next.id), JSON.stringify(next)], ["ZADD", this.k.groups(), 0, next.id]);
  }

  deleteGroup(group: Group): void {
    this.writes.command(["DEL", this.k.group(group.id)], ["ZREM", this.k.groups(), group.id]);
  }
}
