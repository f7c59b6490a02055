/** Group methods: defaults and limits applied here, once; storage in the backend. */
import type { groupsMethods } from "../../domain/groups.js";
import { checkSize } from "../limits.js";
import { DEFAULT_LIMIT } from "./conversations.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function groupsHandlers({ backend, config, newId }: ServiceContext): HandlersFor<typeof groupsMethods> {
  const store = backend.groups;
  const max = config.maxValueBytes;
  return {
    "groups.get": (p) => store.getGroup(p.id),
    "groups.put": (p) => {
      checkSize("metadata", p.metadata, max);
      checkSize("history", p.history, max);
      return store.putGroup({ ...p, id: p.id ?? newId() });
    },
    "groups.list": (p) => store.listGroups({ cursor: p.cursor, limit: p.limit ?? DEFAULT_LIMIT }),
    "groups.delete": async (p) => {
      await store.deleteGroup(p.id, p.expectedVersion);
      return { deleted: true as const };
    },
    "groups.rollover": (p) => store.rollover(p),
  };
}
