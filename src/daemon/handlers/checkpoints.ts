/**
 * Checkpoint methods: defaults (scope and ns ""), base64 and size checks applied here, once;
 * storage in the backend's CheckpointStore.
 */
import type { checkpointsMethods } from "../../domain/checkpoints.js";
import { AgentStateError, invalidParams } from "../../domain/errors.js";
import { checkSize } from "../limits.js";
import { DEFAULT_LIMIT } from "./conversations.js";
import type { HandlersFor, ServiceContext } from "./types.js";

/**
 * INVALID_PARAMS unless `value` is base64 in the canonical form (standard alphabet, padding, zero
 * trailing bits): what Buffer writes, so a backend that stores the bytes decoded returns the same text.
 */
export function checkBytes(path: string, value: string, limit: number): void {
  const bytes = Buffer.from(value, "base64");
  if (bytes.toString("base64") !== value) throw invalidParams("not canonical base64 (standard alphabet, with padding)", path);
  if (bytes.length > limit) {
    throw new AgentStateError("TOO_LARGE", `${path} is ${bytes.length} bytes; the limit is ${limit}`, { what: path, size: bytes.length, limit });
  }
}

export function checkpointsHandlers({ backend, config }: ServiceContext): HandlersFor<typeof checkpointsMethods> {
  const max = config.maxValueBytes;
  const store = () => backend.checkpoints;
  return {
    "checkpoints.put": (p) => {
      checkBytes("/checkpoint", p.checkpoint, max);
      checkSize("metadata", p.metadata, max);
      const newValues = p.newValues ?? [];
      newValues.forEach((v, i) => {
        if (v.value !== undefined) checkBytes(`/newValues/${i}/value`, v.value, max);
      });
      return store().putCheckpoint({
        ...p,
        scope: p.scope ?? "",
        ns: p.ns ?? "",
        channelVersions: p.channelVersions ?? {},
        newValues,
      });
    },
    "checkpoints.putWrites": (p) => {
      p.writes.forEach((w, i) => checkBytes(`/writes/${i}/value`, w.value, max));
      return store().putWrites({ ...p, scope: p.scope ?? "", ns: p.ns ?? "" });
    },
    "checkpoints.get": async (p) => ({
      tuple: await store().getCheckpoint({ scope: p.scope ?? "", threadId: p.threadId, ns: p.ns ?? "", id: p.id }),
    }),
    "checkpoints.list": (p) => {
      checkSize("filter", p.filter, max);
      return store().listCheckpoints({ ...p, scope: p.scope ?? "", limit: p.limit ?? DEFAULT_LIMIT });
    },
    "checkpoints.deleteThread": (p) => store().deleteThread(p.scope ?? "", p.threadId),
  };
}
