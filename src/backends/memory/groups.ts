/** Groups held in process: records by id. The jsonl port extends this model and keeps each in a file. */
import type { Group } from "../../domain/groups.js";
import { compareCodePoints } from "../../domain/order.js";
import type { GroupsReadPort, GroupsWritePort } from "../contract.js";
import { clone } from "../../domain/clone.js";

export const GROUP_WRITES: ReadonlySet<string> = new Set<keyof GroupsWritePort>(["putGroup", "deleteGroup"]);

export class MemoryGroupsPort implements GroupsReadPort, GroupsWritePort {
  protected readonly groups = new Map<string, Group>();

  async group(id: string) {
    const g = this.groups.get(id);
    return g && clone(g);
  }

  async listGroups(after: string | undefined, limit: number) {
    const rows = [...this.groups.values()]
      .filter((g) => after === undefined || compareCodePoints(g.id, after) > 0)
      .sort((a, b) => compareCodePoints(a.id, b.id));
    return clone(rows.slice(0, limit));
  }

  putGroup(next: Group, _prev: Group | undefined): void {
    this.groups.set(next.id, clone(next));
  }

  deleteGroup(group: Group): void {
    this.groups.delete(group.id);
  }
}
