/**
 * `agentstate migrate copy`: every domain from one backend into another, through the store
 * contract, then verified by counts and per-domain checksums (checksum.ts).
 *
 * - Refuses a target that holds anything unless `merge` (add to it; records whose key exists in the
 *   target are left alone and reported) or `resume` (finish an interrupted copy of the same source).
 * - Resumable: domains finished are recorded in a checkpoint; within a domain every write is
 *   idempotent (ids are kept, message and history batches carry idempotency keys, ledger turns
 *   dedupe by idHash, changeset entries are recorded only past the count the target already has).
 * - Not copied, because the contract cannot write them: job runs (the target's scheduler starts
 *   afresh from each job's definition) and the change log (the target starts its own).
 */
import type { Backend, JobInput } from "../backends/contract.js";
import { isConflict } from "../domain/errors.js";
import { MAX_HISTORY_BATCH } from "../domain/history.js";
import { MAX_INGEST_TURNS } from "../domain/ledger.js";
import {
  COPY_DOMAINS, allHistory, changesetPlanIds, checksumOf, digestDomain, pages, storedMessages, type CopyDomain,
} from "./checksum.js";

const PAGE = 1000;
const MESSAGE_CHUNK = 500;

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
  return probes.every((p) => p.items.length === 0);
}

export async function copyBackend(source: Backend, target: Backend, opts: CopyOptions = {}): Promise<DomainResult[]> {
  if (!opts.merge && !opts.resume && !(await isEmpty(target))) throw new TargetNotEmptyError();
  const results: DomainResult[] = [];
  for (const domain of COPY_DOMAINS) {
    const digest = await digestDomain(source, domain);
    const total = digest.size;
    const before = opts.merge && !opts.resume ? await digestDomain(target, domain) : new Map<string, string>();
    // Keys the target had with other content: a merge leaves them alone (history has no keys to clash).
    const conflicts = domain === "history" ? [] : [...digest.keys()].filter((k) => before.has(k) && before.get(k) !== digest.get(k));
    const skip = new Set(domain === "history" ? [] : [...digest.keys()].filter((k) => before.has(k)));
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

const COPIERS: Record<CopyDomain, Copier> = {
  async groups(from, to, skip, tick) {
    for await (const g of pages((cursor) => from.groups.listGroups({ cursor, limit: PAGE }))) {
      if (!skip.has(g.id)) {
        await to.groups.putGroup({ id: g.id, currentSessionId: g.currentSessionId, history: g.history, lastRolloverAt: g.lastRolloverAt, metadata: g.metadata });
      }
      tick();
    }
  },

  async sessions(from, to, skip, tick) {
    for await (const s of pages((cursor) => from.conversations.listSessions({ cursor, limit: PAGE }))) {
      if (skip.has(s.id)) {
        tick();
        continue;
      }
      try {
        await to.conversations.createSession({ id: s.id, title: s.title, groupId: s.groupId, model: s.model, tags: s.tags, metadata: s.metadata });
      } catch (err) {
        if (!isConflict(err)) throw err; // an interrupted copy made it: the keyed appends below finish it
      }
      let chunk: Record<string, unknown>[] = [];
      let index = 0;
      let stored = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        await to.conversations.append({ sessionId: s.id, messages: chunk as never, idempotencyKey: `copy-${index++}` });
        chunk = [];
      };
      for await (const m of storedMessages(from, s.id)) {
        chunk.push(m);
        stored++;
        if (chunk.length === MESSAGE_CHUNK) await flush();
      }
      await flush();
      if (stored > s.messageCount) await to.conversations.truncate(s.id, s.messageCount);
      if (s.summary !== undefined || s.costStats !== undefined || s.tokenStats.requests + s.tokenStats.inputTokens + s.tokenStats.outputTokens > 0) {
        await to.conversations.updateSession({ id: s.id, summary: s.summary, tokenStats: s.tokenStats, costStats: s.costStats });
      }
      tick();
    }
  },

  async plans(from, to, skip, tick) {
    for await (const p of pages((cursor) => from.plans.listPlans({ cursor, limit: PAGE }))) {
      if (!skip.has(p.id)) {
        const full = await from.plans.getPlan(p.id);
        await to.plans.savePlan({ id: full.id, title: full.title, slug: full.slug, body: full.body, status: full.status, sessionId: full.sessionId });
      }
      tick();
    }
  },

  async jobs(from, to, skip, tick) {
    for await (const j of pages((cursor) => from.jobs.listJobs({ cursor, limit: PAGE }))) {
      if (!skip.has(j.id)) {
        const input: JobInput = {
          id: j.id, name: j.name, description: j.description, schedule: j.schedule, timezone: j.timezone, anchorAt: j.anchorAt,
          enabled: j.enabled, deleteAfterRun: j.deleteAfterRun, action: j.action, payload: j.payload, misfire: j.misfire, noOverlap: j.noOverlap,
        };
        await to.jobs.saveJob(input);
      }
      tick();
    }
  },

  async history(from, to, _skip, tick) {
    const all = await allHistory(from);
    let index = 0;
    for (let i = 0; i < all.length; i += MAX_HISTORY_BATCH) {
      const batch = all.slice(i, i + MAX_HISTORY_BATCH).map(({ seq: _seq, ...e }) => e);
      await to.history.append(batch, `copy-history-${all.length}-${index++}`);
      tick(batch.length);
    }
  },

  async changesets(from, to, skip, tick) {
    for (const planId of await changesetPlanIds(from)) {
      for await (const cs of pages((cursor) => from.changesets.listForPlan({ planId, cursor, limit: PAGE }))) {
        if (skip.has(`changeset:${cs.id}`)) {
          tick();
          continue;
        }
        const full = await from.changesets.get(cs.id);
        let have = 0;
        try {
          await to.changesets.start({ id: cs.id, planId: cs.planId });
        } catch (err) {
          if (!isConflict(err)) throw err;
          have = (await to.changesets.get(cs.id)).entries.length; // record is atomic: what is there is a prefix
        }
        const rest = full.entries.slice(have).map(({ seq: _s, createdAt: _c, changesetId: _cs, planId: _p, ...e }) => e);
        const current = have > 0 ? (await to.changesets.get(cs.id)).status : "open";
        if (rest.length > 0 && current === "open") await to.changesets.record(cs.id, rest);
        if (cs.status !== "open" && current === "open") await to.changesets.setStatus(cs.id, cs.status);
        tick();
      }
      for await (const inv of pages((cursor) => from.changesets.listInvocationsForPlan({ planId, cursor, limit: PAGE }))) {
        if (!skip.has(`invocation:${inv.id}`)) await to.changesets.saveInvocation(inv);
        tick();
      }
    }
  },

  async ledger(from, to, _skip, tick) {
    let batch = [];
    for await (const t of pages((cursor) => from.ledger.query({ cursor, limit: PAGE }))) {
      const { idHash: _h, ...turn } = t;
      batch.push(turn);
      if (batch.length === MAX_INGEST_TURNS) {
        await to.ledger.ingest(batch);
        tick(batch.length);
        batch = [];
      }
    }
    if (batch.length > 0) {
      await to.ledger.ingest(batch);
      tick(batch.length);
    }
  },
};
