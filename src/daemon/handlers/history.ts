/** Shell history methods: defaults and limits applied here, once; storage in the backend. */
import type { historyMethods } from "../../domain/history.js";
import { checkEachSize } from "../limits.js";
import { DEFAULT_LIMIT } from "./conversations.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function historyHandlers({ backend, config }: ServiceContext): HandlersFor<typeof historyMethods> {
  const store = backend.history;
  return {
    "history.append": (p) => {
      checkEachSize("entries", p.entries, config.maxValueBytes);
      return store.append(p.entries, p.idempotencyKey);
    },
    "history.list": (p) => store.list({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
  };
}
