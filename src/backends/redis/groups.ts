/**
 * Session groups on Redis (layout in keys.ts): the record as JSON under `g:<id>` and every id in the
 * lexicographic sorted set `groups`, whose byte order is the contract's code point order. Every
 * write reads the record, decides with the shared logic and applies with the string it read (or
 * "must not exist") as the guard, so racing daemons converge.
 */
import type { Group, GroupPut, GroupRollover } from "../../domain/groups.js";
import type { ChangeInput } from "../../domain/changes.js";
import { notFound } from "../../domain/errors.js";
import type { BackendOptions, GroupStore, Page, PageQuery } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { putGroupRecord, rolloverRecord } from "../common/groups.js";
import { checkVersion } from "../../core/sessions.js";
import type { RedisClient } from "./client.js";
import type { Keys } from "./keys.js";
import type { WritePlan, Writer } from "./write.js";

export class RedisGroups implements GroupStore {
  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {}

  private now = () => this.opts.now().toISOString();

  private async read(id: string): Promise<{ raw: string | null; group?: Group }> {
    const raw = await this.client.call((r) => r.get(this.keys.group(id)));
    return raw === null ? { raw } : { raw, group: JSON.parse(raw) as Group };
  }

  /** Writes `group` with one group.saved change, guarded by the record string `raw` that was read. */
  private save(raw: string | null, group: Group, data?: Record<string, unknown>): WritePlan<Group> {
    const change: ChangeInput = { domain: "groups", type: "group.saved", id: group.id, version: group.version, data };
    return {
      guards: [{ key: this.keys.group(group.id), expect: raw }],
      changes: [change],
      commands: [
        ["SET", this.keys.group(group.id), JSON.stringify(group)],
        ["ZADD", this.keys.groups(), 0, group.id],
      ],
      result: group,
    };
  }

  async getGroup(id: string) {
    const { group } = await this.read(id);
    if (!group) throw notFound("group", id);
    return group;
  }

  putGroup(input: GroupPut & { id: string }) {
    return this.writer.write(async () => {
      const { raw, group } = await this.read(input.id);
      return this.save(raw, putGroupRecord(group, input, this.now()), group ? undefined : { created: true });
    });
  }

  async listGroups(q: PageQuery): Promise<Page<Group>> {
    const k = this.keys;
    let min = q.cursor === undefined ? "-" : "(" + String(decodeCursor(q.cursor, 1)[0]);
    const items: Group[] = [];
    let more = false;
    // Loops only when records vanished between the index read and the MGET (a concurrent delete).
    for (;;) {
      const want = q.limit + 1 - items.length;
      const ids = await this.client.call((r) => r.zrangebylex(k.groups(), min, "+", "LIMIT", 0, want));
      if (ids.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...ids.map((id) => k.group(id))));
      for (const raw of raws) {
        if (raw === null) continue;
        if (items.length === q.limit) {
          more = true;
          break;
        }
        items.push(JSON.parse(raw) as Group);
      }
      if (more || ids.length < want) break;
      min = "(" + ids[ids.length - 1];
    }
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor([last.id]) : null };
  }

  async deleteGroup(id: string, expectedVersion?: number) {
    await this.writer.write(async (): Promise<WritePlan<void>> => {
      const { raw, group } = await this.read(id);
      if (!group) throw notFound("group", id);
      checkVersion("group", group, expectedVersion);
      return {
        guards: [{ key: this.keys.group(id), expect: raw }],
        changes: [{ domain: "groups", type: "group.deleted", id, version: group.version }],
        commands: [["DEL", this.keys.group(id)], ["ZREM", this.keys.groups(), id]],
        result: undefined,
      };
    });
  }

  rollover(input: GroupRollover) {
    return this.writer.write(async (): Promise<WritePlan<Group>> => {
      const { raw, group: existing } = await this.read(input.id);
      if (!existing && !input.createGroup) throw notFound("group", input.id);
      const { group, changed } = rolloverRecord(existing, input, this.now());
      if (!changed) return { guards: [], changes: [], commands: [], result: group };
      return this.save(raw, group, { rollover: true, previousSessionId: existing?.currentSessionId ?? null, currentSessionId: input.newSessionId });
    });
  }
}
