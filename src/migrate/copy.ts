/**
 * `agentstate migrate copy`: every domain from one backend into another, written through the
 * restore path (SPEC §2 "Restore keeps everything": ids, times, versions, seqs, truncation markers,
 * job bookkeeping and run history as they were), then verified by counts and per-domain checksums
 * of whole records (checksum.ts).
 *
 * - Refuses a target that holds anything unless `merge` (add to it; records whose key exists in the
 *   target are left alone and reported) or `resume` (finish an interrupted copy of the same source).
 * - Resumable: domains finished are recorded in a checkpoint; within a domain every restore is an
 *   upsert of the record as it was, and ledger turns dedupe by idHash, so redoing one is harmless.
 * - Jobs keep nextRunAt and lastRunAt and their runs keep their slots, so the target's scheduler
 *   sees a one-shot job that already ran as done, never as a missed slot to run again.
 * - Graph checkpoints go a thread at a time, every namespace, with their createdAt, channel values
 *   and pending writes (those of a checkpoint never stored too).
 * - Not copied: the change log (the target starts its own).
 */
import type { Backend } from "../backends/contract.js";
import type { Message } from "../domain/conversations.js";
import type { Run } from "../domain/jobs.js";
import { MAX_HISTORY_BATCH } from "../domain/history.js";
import { MAX_INGEST_TURNS } from "../domain/ledger.js";
import {
  COPY_DOMAINS, allHistory, changesetPlanIds, checkpointThreads, checksumOf, digestDomain, pages, storedMessages, threadDigestKey, type CopyDomain,
} from "./checksum.js";

const PAGE = 1000;
const MESSAGE_CHUNK = 500;
const RUN_CHUNK = 500;

export interface CopyProgress {
  domain: CopyDomain;
  done: number;
  total: number;
}

export interface DomainResult {
  domain: CopyDomain;
  source: number;
  /** Source records present in the target afterwards, not counting keys a merge found there already. */
  copied: number;
  /** Keys present in the target before (merge) whose content differs from the source's: left alone. */
  conflicts: string[];
  sourceChecksum: string;
  targetChecksum: string;
  verified: boolean;
}

export interface CopyOptions {
  merge?: boolean;
  resume?: boolean;
  /** Domains already finished by an earlier run (from the checkpoint): verified, not copied again. */
  finished?: ReadonlySet<CopyDomain>;
  onDomainDone?: (domain: CopyDomain) => void | Promise<void>;
  onProgress?: (p: CopyProgress) => void;
}

export class TargetNotEmptyError extends Error {
  constructor() {
    super("the target backend is not empty; pass --merge to add to it, or --resume to finish an interrupted copy");
  }
}

/** True when the backend holds no record of any domain. */
export async function isEmpty(b: Backend): Promise<boolean> {
  if ((await b.changes.head()) !== undefined) return false;
  const probes = await Promise.all([
    b.conversations.listSessions({ limit: 1 }), b.groups.listGroups({ limit: 1 }), b.plans.listPlans({ limit: 1 }),
    b.jobs.listJobs({ limit: 1 }), b.history.list({ limit: 1 }), b.ledger.query({ limit: 1 }),
  ]);
  if (!probes.every((p) => p.items.length === 0)) return false;
  for await (const _ of checkpointThreads(b)) return false;
  return true;
}

export async function copyBackend(source: Backend, target: Backend, opts: CopyOptions = {}): Promise<DomainResult[]> {
  if (!opts.merge && !opts.resume && !(await isEmpty(target))) throw new TargetNotEmptyError();
  const results: DomainResult[] = [];
  for (const domain of COPY_DOMAINS) {
    const digest = await digestDomain(source, domain);
    const total = digest.size;
    const before = opts.merge && !opts.resume ? await digestDomain(target, domain) : new Map<string, string>();
    // Keys the target had with other content: a merge leaves them alone.
    const conflicts = [...digest.keys()].filter((k) => before.has(k) && before.get(k) !== digest.get(k));
    const skip = new Set([...digest.keys()].filter((k) => before.has(k)));
    let done = 0;
    const tick = (n = 1) => opts.onProgress?.({ domain, done: (done += n), total });
    opts.onProgress?.({ domain, done: 0, total });
    if (!opts.finished?.has(domain)) await COPIERS[domain](source, target, skip, tick);
    else tick(total);
    await opts.onDomainDone?.(domain);
    const after = await digestDomain(target, domain);
    const keys = [...digest.keys()].filter((k) => !conflicts.includes(k));
    const sourceChecksum = checksumOf(digest, keys);
    const targetChecksum = checksumOf(after, keys);
    results.push({
      domain, source: total, copied: keys.filter((k) => !skip.has(k) && after.has(k)).length,
      conflicts, sourceChecksum, targetChecksum, verified: sourceChecksum === targetChecksum,
    });
  }
  return results;
}

type Copier = (from: Backend, to: Backend, skip: ReadonlySet<string>, tick: (n?: number) => void) => Promise<void>;

async function* chunked<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

const COPIERS: Record<CopyDomain, Copier> = {
  async groups(from, to, skip, tick) {
    for await (const g of pages((cursor) => from.groups.listGroups({ cursor, limit: PAGE }))) {
      if (!skip.has(g.id)) await to.restore.group(g);
      tick();
    }
  },

  async sessions(from, to, skip, tick) {
    for await (const s of pages((cursor) => from.conversations.listSessions({ cursor, limit: PAGE }))) {
      if (!skip.has(s.id)) {
        let first = true;
        for await (const chunk of chunked<Message>(storedMessages(from, s.id), MESSAGE_CHUNK)) {
          if (first) await to.restore.session(s, chunk);
          else await to.restore.messages(s.id, chunk);
          first = false;
        }
        if (first) await to.restore.session(s, []);
      }
      tick();
    }
  },

  async plans(from, to, skip, tick) {
    for await (const p of pages((cursor) => from.plans.listPlans({ cursor, limit: PAGE }))) {
      if (!skip.has(p.id)) await to.restore.plan(await from.plans.getPlan(p.id));
      tick();
    }
  },

  async jobs(from, to, skip, tick) {
    for await (const j of pages((cursor) => from.jobs.listJobs({ cursor, limit: PAGE }))) {
      if (!skip.has(j.id)) await to.restore.job(j);
      tick();
    }
  },

  async runs(from, to, skip, tick) {
    for await (const chunk of chunked<Run>(pages((cursor) => from.jobs.listRuns({ cursor, limit: PAGE })), RUN_CHUNK)) {
      const fresh = chunk.filter((r) => !skip.has(r.id));
      if (fresh.length > 0) await to.restore.runs(fresh);
      tick(chunk.length);
    }
  },

  async history(from, to, skip, tick) {
    const all = (await allHistory(from)).filter((e) => !skip.has(String(e.seq).padStart(12, "0")));
    for (let i = 0; i < all.length; i += MAX_HISTORY_BATCH) {
      const batch = all.slice(i, i + MAX_HISTORY_BATCH);
      await to.restore.history(batch);
      tick(batch.length);
    }
  },

  async changesets(from, to, skip, tick) {
    for (const planId of await changesetPlanIds(from)) {
      for await (const cs of pages((cursor) => from.changesets.listForPlan({ planId, cursor, limit: PAGE }))) {
        if (!skip.has(`changeset:${cs.id}`)) {
          const { entries, ...changeset } = await from.changesets.get(cs.id);
          await to.restore.changeset(changeset, entries);
        }
        tick();
      }
      for await (const inv of pages((cursor) => from.changesets.listInvocationsForPlan({ planId, cursor, limit: PAGE }))) {
        if (!skip.has(`invocation:${inv.id}`)) await to.restore.invocation(inv);
        tick();
      }
    }
  },

  async checkpoints(from, to, skip, tick) {
    for await (const t of checkpointThreads(from)) {
      if (!skip.has(threadDigestKey(t))) await to.restore.checkpointThread(t);
      tick();
    }
  },

  async ledger(from, to, _skip, tick) {
    for await (const chunk of chunked(pages((cursor) => from.ledger.query({ cursor, limit: PAGE })), MAX_INGEST_TURNS)) {
      await to.ledger.ingest(chunk.map(({ idHash: _h, ...turn }) => turn));
      tick(chunk.length);
    }
  },
};
