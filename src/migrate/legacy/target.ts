/**
 * What the importers write to and read from. Writes that must keep the tools' own times, seqs and
 * job bookkeeping go through the restore path (RestoreStore); history and ledger turns go through
 * the ordinary store methods, which already keep everything those tools wrote. Reads decide what is
 * new and whether a record of the same id was made by an import (see sessions.ts).
 */
import type { Backend, HistoryStore, LedgerStore, RestoreStore } from "../../backends/contract.js";
import type { Session } from "../../domain/conversations.js";
import { isNotFound } from "../../domain/errors.js";
import type { Group } from "../../domain/groups.js";
import type { Job } from "../../domain/jobs.js";
import type { Plan } from "../../domain/plans.js";

/**
 * A session as the importers restore it. `aliases` (other names that find the session, unique
 * across sessions) is about to join Session itself; until it does, this type carries it.
 */
export type RestoredSession = Session & { aliases?: string[] };

/** Point reads, undefined when the record does not exist. */
export interface ImportLookup {
  session(id: string): Promise<RestoredSession | undefined>;
  group(id: string): Promise<Group | undefined>;
  job(id: string): Promise<Job | undefined>;
  plan(id: string): Promise<Plan | undefined>;
}

export interface ImportTarget {
  readonly restore: RestoreStore;
  readonly lookup: ImportLookup;
  readonly history: Pick<HistoryStore, "append" | "list">;
  readonly ledger: Pick<LedgerStore, "ingest">;
}

const orUndefined = async <T>(read: Promise<T>): Promise<T | undefined> => {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
};

/** Reads from `backend`; record writes through `restore` (the daemon passes `backend.restore`). */
export function importTarget(backend: Backend, restore: RestoreStore = backend.restore): ImportTarget {
  return {
    restore,
    lookup: {
      session: (id) => orUndefined(backend.conversations.getSession(id)),
      group: (id) => orUndefined(backend.groups.getGroup(id)),
      job: (id) => orUndefined(backend.jobs.getJob(id)),
      plan: (id) => orUndefined(backend.plans.getPlan(id)),
    },
    history: backend.history,
    ledger: backend.ledger,
  };
}
