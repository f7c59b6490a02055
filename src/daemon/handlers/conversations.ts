/** Conversation methods: defaults and limits applied here, once; storage in the backend. */
import type { conversationMethods } from "../../domain/conversations.js";
import { invalidParams } from "../../domain/errors.js";
import { checkEachSize, checkSize } from "../limits.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export const DEFAULT_LIMIT = 100;

export function conversationHandlers({ backend, config, newId }: ServiceContext): HandlersFor<typeof conversationMethods> {
  const store = backend.conversations;
  const max = config.maxValueBytes;
  return {
    "sessions.create": (p) => {
      checkSize("metadata", p.metadata, max);
      return store.createSession({ ...p, id: p.id ?? newId() });
    },
    "sessions.get": (p) => {
      if ((p.id === undefined) === (p.alias === undefined)) throw invalidParams("give exactly one of id and alias", p.id === undefined ? "/id" : "/alias");
      return p.id !== undefined ? store.getSession(p.id) : store.getSessionByAlias(p.alias as string);
    },
    "sessions.list": (p) => store.listSessions({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "sessions.update": (p) => {
      checkSize("metadata", p.metadata, max);
      checkSize("costStats", p.costStats, max);
      return store.updateSession(p);
    },
    "sessions.delete": async (p) => {
      await store.deleteSession(p.id, p.expectedVersion);
      return { deleted: true as const };
    },
    "messages.append": (p) => {
      checkEachSize("messages", p.messages, max);
      return store.append(p);
    },
    "messages.list": (p) => store.listMessages({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "messages.pop": async (p) => ({ message: await store.pop(p.sessionId, p.expectedLastSeq) }),
    "sessions.setSummary": (p) => {
      checkSize("summary", p.summary, max);
      return store.updateSession({ id: p.id, summary: p.summary, expectedVersion: p.expectedVersion });
    },
    "sessions.truncate": (p) => store.truncate(p.id, p.keepLast, p.expectedVersion),
    "sessions.replaceHistory": (p) => {
      checkEachSize("messages", p.messages, max);
      return store.replaceHistory(p.id, p.messages, p.expectedVersion);
    },
    "sessions.compact": (p) => store.compact(p.id),
    "sessions.fork": (p) => store.fork({ ...p, newId: p.newId ?? newId() }),
  };
}
