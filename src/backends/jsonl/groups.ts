/**
 * jsonl groups: `groups/<encodeId(id)>.json`, one pretty-printed group record per file. Records
 * live in memory (a group is a handful of ids and some metadata); a write validates against memory
 * and journals the full new record, so the file applier only has to (re)write or remove one file.
 */
import { promises as fs } from "node:fs";
import type { Group, GroupPut, GroupRollover } from "../../domain/groups.js";
import { notFound } from "../../domain/errors.js";
import type { BackendOptions, GroupStore, Page, PageQuery } from "../contract.js";
import { decodeCursor, firstPage } from "../../core/paging.js";
import { compareIds, putGroupRecord, rolloverRecord } from "../common/groups.js";
import { checkVersion } from "../../core/sessions.js";
import type { JsonlChangeLog } from "./changes.js";
import type { JsonlDomain } from "./domain.js";
import { encodeId } from "./encode.js";
import type { Engine } from "./engine.js";
import type { Op } from "./journal.js";

interface PutOp extends Op {
  k: "grp";
  g: Group;
}
interface DeleteOp extends Op {
  k: "rmgrp";
  id: string;
}

export class JsonlGroups implements GroupStore, JsonlDomain {
  private readonly groups = new Map<string, Group>();

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {
    engine.register<PutOp>("grp", {
      memory: (op) => void this.groups.set(op.g.id, op.g),
      files: async (op, io) => io.rewrite(this.path(op.g.id), JSON.stringify(op.g, null, 2) + "\n"),
    });
    engine.register<DeleteOp>("rmgrp", {
      memory: (op) => void this.groups.delete(op.id),
      files: (op, io) => io.remove(this.path(op.id)),
    });
  }

  private path = (id: string) => this.engine.path("groups", `${encodeId(id)}.json`);

  async load(): Promise<void> {
    const dir = this.engine.path("groups");
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith(".json") || name.startsWith(".")) continue; // `.xxxx.tmp` files of an interrupted rewrite
      const g = JSON.parse(await fs.readFile(`${dir}/${name}`, "utf8")) as Group;
      if (`${encodeId(g.id)}.json` !== name) {
        throw new Error(`${dir}/${name} holds group ${JSON.stringify(g.id)}, which belongs in another file (case-insensitive file system?)`);
      }
      this.groups.set(g.id, g);
    }
  }

  private now = () => this.opts.now().toISOString();

  private group(id: string): Group {
    const g = this.groups.get(id);
    if (!g) throw notFound("group", id);
    return g;
  }

  /** Journals `group` (already validated) with its change; memory is updated before this returns a promise. */
  private async store(group: Group, data?: Record<string, unknown>): Promise<Group> {
    const g = structuredClone(group); // the caller's arrays and objects must not alias stored state
    await this.engine.tx([
      { k: "grp", g } as PutOp,
      this.changes.op({ domain: "groups", type: "group.saved", id: g.id, version: g.version, data }),
    ]);
    return structuredClone(g);
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
    await this.engine.tx([{ k: "rmgrp", id } as DeleteOp, this.changes.op({ domain: "groups", type: "group.deleted", id, version: g.version })]);
  }

  async rollover(input: GroupRollover) {
    const existing = this.groups.get(input.id);
    if (!existing && !input.createGroup) throw notFound("group", input.id);
    const { group, changed } = rolloverRecord(existing, input, this.now());
    if (!changed) return structuredClone(group);
    return this.store(group, { rollover: true, previousSessionId: existing?.currentSessionId ?? null, currentSessionId: input.newSessionId });
  }
}
