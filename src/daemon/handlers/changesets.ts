/**
 * Changeset and invocation methods: ids, page limits, size limits and entry rules applied here,
 * once; storage in the backend. `changesets.summarize` is derived here from `get`, so every backend
 * answers it identically (see docs/decisions/changesets.md).
 */
import { summarize, type changesetsMethods, type EntryInput, type InvocationSave } from "../../domain/changesets.js";
import { invalidParams } from "../../domain/errors.js";
import type { InvocationInput, NewEntry } from "../../backends/contract.js";
import { checkSize } from "../limits.js";
import { DEFAULT_LIMIT } from "./conversations.js";
import type { HandlersFor, ServiceContext } from "./types.js";

/** A rename names where it came from; nothing else does. */
function checkEntry(e: EntryInput, i: number): void {
  if (e.operation === "rename" && e.fromPath === undefined) {
    throw invalidParams("a rename entry needs fromPath", `/entries/${i}/fromPath`);
  }
  if (e.operation !== "rename" && e.fromPath !== undefined) {
    throw invalidParams(`fromPath is only allowed on rename entries, not ${e.operation}`, `/entries/${i}/fromPath`);
  }
}

/** ISO 8601 UTC with milliseconds, so stores can order times as strings. */
const utc = (t: string | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

function toInvocationInput(p: InvocationSave, id: string): InvocationInput {
  const startedAt = utc(p.startedAt);
  const finishedAt = utc(p.finishedAt);
  if (p.status === "running" && finishedAt !== undefined) {
    throw invalidParams("a running invocation has no finishedAt", "/finishedAt");
  }
  if (startedAt !== undefined && finishedAt !== undefined && finishedAt < startedAt) {
    throw invalidParams("finishedAt is before startedAt", "/finishedAt");
  }
  return { ...p, id, startedAt, finishedAt };
}

export function changesetsHandlers({ backend, config, newId }: ServiceContext): HandlersFor<typeof changesetsMethods> {
  const store = backend.changesets;
  const max = config.maxValueBytes;
  return {
    "changesets.start": (p) => store.start({ id: newId(), planId: p.planId }),
    "changesets.record": (p) => {
      p.entries.forEach((e, i) => {
        checkEntry(e, i);
        checkSize(`entries[${i}].diff`, e.diff, max);
      });
      const entries: NewEntry[] = p.entries.map((e) => ({ ...e, id: newId() }));
      return store.record(p.changesetId, entries);
    },
    "changesets.get": (p) => store.get(p.id),
    "changesets.listForPlan": (p) => store.listForPlan({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "changesets.summarize": async (p) => summarize(await store.get(p.id)),
    "changesets.setStatus": (p) => store.setStatus(p.id, p.status),
    "changesets.deleteForPlan": (p) => store.deleteForPlan(p.planId),
    "invocations.save": (p) => {
      checkSize("arguments", p.arguments, max);
      checkSize("result", p.result, max);
      checkSize("error", p.error, max);
      checkSize("providerMetadata", p.providerMetadata, max);
      return store.saveInvocation(toInvocationInput(p, p.id ?? newId()));
    },
    "invocations.get": (p) => store.getInvocation(p.id),
    "invocations.listForPlan": (p) => store.listInvocationsForPlan({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "invocations.deleteForPlan": (p) => store.deleteInvocationsForPlan(p.planId),
  };
}
