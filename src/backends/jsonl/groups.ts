/**
 * jsonl groups: `groups/<encodeId(id)>.json`, one pretty-printed group record per file. Records
 * live in memory (the memory model: a group is a handful of ids and some metadata); a write
 * replaces or removes the group's file.
 */
import type { Group } from "../../domain/groups.js";
import { MemoryGroupsPort } from "../memory/groups.js";
import { encodeId } from "./encode.js";
import type { Files, Model } from "./engine.js";
import type { Vfs } from "./vfs.js";
import { dataDamaged } from "../../domain/errors.js";
import { parseStored } from "./parse.js";

const DIR = "groups";
const path = (id: string) => `${DIR}/${encodeId(id)}.json`;

export class JsonlGroupsPort extends MemoryGroupsPort implements Model {
  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
  ) {
    super();
  }

  async load(): Promise<void> {
    this.groups.clear();
    for (const name of await this.vfs.list(DIR)) {
      if (!name.endsWith(".json")) continue;
      const raw = await this.vfs.readAll(`${DIR}/${name}`);
      if (!raw) continue;
      const g = parseStored<Group>(raw.toString("utf8"), `${DIR}/${name}`);
      if (`${encodeId(g.id)}.json` !== name) {
        throw dataDamaged(`${DIR}/${name} holds group ${JSON.stringify(g.id)}, which belongs in another file (case-insensitive file system?)`);
      }
      this.groups.set(g.id, g);
    }
  }

  override async group(id: string) {
    await this.vfs.know(path(id));
    return super.group(id);
  }

  override putGroup(next: Group, prev: Group | undefined): void {
    super.putGroup(next, prev);
    this.files.replace(path(next.id), JSON.stringify(next, null, 2) + "\n");
  }

  override deleteGroup(group: Group): void {
    super.deleteGroup(group);
    if (this.vfs.exists(path(group.id))) this.files.remove(path(group.id));
  }
}
