/**
 * Claims left behind by a daemon that died: its connections closed without anyone to release
 * them, and its exec children died with it. At start, each claimed run whose claiming daemon is
 * known to be gone is released like a closed connection's claim. A daemon is known to be gone
 * only when it ran on this host and its pid no longer exists; claims of daemons on other hosts
 * are left alone (telling a dead host from a slow one needs a lease the store does not have).
 */
import { hostname } from "node:os";
import type { ChangeLog, JobStore } from "../../backends/contract.js";
import type { Run } from "../../domain/jobs.js";
import type { Logger } from "../logger.js";

/** Exec runs are claimed by the daemon itself, under this worker name. */
export const EXEC_WORKER_PREFIX = "agentstated:";
export const execWorker = (origin: string): string => `${EXEC_WORKER_PREFIX}${origin}`;

const MAX_CLAIMED = 10_000;
const CHANGE_PAGE = 1000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The default test: a `pid@host` origin of this host whose pid is gone (and is not this process). */
export function isLocalOriginDead(origin: string): boolean {
  const m = /^(\d+)@(.+)$/.exec(origin);
  if (!m) return false;
  const pid = Number(m[1]);
  return m[2] === hostname() && pid !== process.pid && !pidAlive(pid);
}

async function claimedRuns(store: JobStore): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRuns({ status: "claimed", cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && out.length < MAX_CLAIMED);
  return out;
}

/** runId → origin of the daemon that recorded its newest run.claimed, for the ids asked. */
async function claimOrigins(changes: ChangeLog, runIds: Set<string>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor: string | undefined;
  for (;;) {
    const { changes: page } = await changes.since(cursor, CHANGE_PAGE);
    for (const c of page) if (c.type === "run.claimed" && runIds.has(c.id)) found.set(c.id, c.origin);
    if (page.length < CHANGE_PAGE) return found;
    cursor = page[page.length - 1].cursor;
  }
}

/** Releases orphaned claims; returns how many. Never throws (logs instead): recovery must not stop a start. */
export async function recoverOrphanedClaims(opts: {
  store: JobStore;
  changes: ChangeLog;
  maxAttempts: number;
  logger: Logger;
  isOriginDead: (origin: string) => boolean;
}): Promise<number> {
  const { store, logger } = opts;
  try {
    const claimed = await claimedRuns(store);
    if (claimed.length === 0) return 0;
    const origins = new Map<string, string>();
    const unknown = new Set<string>();
    for (const r of claimed) {
      if (r.claimedBy?.startsWith(EXEC_WORKER_PREFIX)) origins.set(r.id, r.claimedBy.slice(EXEC_WORKER_PREFIX.length));
      else unknown.add(r.id);
    }
    if (unknown.size > 0) for (const [id, origin] of await claimOrigins(opts.changes, unknown)) origins.set(id, origin);
    let released = 0;
    for (const r of claimed) {
      const origin = origins.get(r.id);
      if (origin === undefined || !opts.isOriginDead(origin)) continue;
      try {
        const after = await store.releaseClaim({ runId: r.id, worker: r.claimedBy, maxAttempts: opts.maxAttempts });
        released++;
        logger.info("released a claim of a daemon that is gone", { runId: r.id, jobId: r.jobId, origin, status: after.status });
      } catch {
        // finished or released by someone else meanwhile
      }
    }
    return released;
  } catch (err) {
    logger.warn("could not look for orphaned claims", { error: String(err) });
    return 0;
  }
}
