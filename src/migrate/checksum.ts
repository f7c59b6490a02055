/**
 * Per-domain digests of a backend's content, read through the store contract only, so any two
 * backends can be compared. Each record becomes (key, sha256 of its canonical JSON) over the whole
 * record as the store returns it — ids, times, versions, seqs, job bookkeeping, run history — since
 * a copy writes through the restore path, which keeps all of them (SPEC §2). A domain's checksum is
 * the sha256 of its sorted `key hash` lines.
 */
import { createHash } from "node:crypto";
import type { Backend } from "../backends/contract.js";

export const COPY_DOMAINS = ["groups", "sessions", "plans", "jobs", "runs", "history", "changesets", "ledger", "checkpoints"] as const;
export type CopyDomain = (typeof COPY_DOMAINS)[number];

export type Digest = Map<string, string>;

const PAGE = 1000;

/** JSON with object keys sorted and undefined members dropped, so equal content hashes equally. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

const hash = (value: unknown): string => createHash("sha256").update(canonical(value)).digest("hex").slice(0, 32);

export function checksumOf(digest: Digest, keys?: Iterable<string>): string {
  const h = createHash("sha256");
  for (const k of [...(keys ?? digest.keys())].sort()) h.update(`${k} ${digest.get(k) ?? "-"}\n`);
  return h.digest("hex");
}

/** Every page of a keyset-paged list. */
export async function* pages<T>(list: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (;;) {
    const page = await list(cursor);
    yield* page.items;
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

/** The plans that have changesets or invocations: every plan, plus plan ids the change log names. */
export async function changesetPlanIds(b: Backend): Promise<string[]> {
  const ids = new Set<string>();
  for await (const p of pages((cursor) => b.plans.listPlans({ cursor, limit: PAGE }))) ids.add(p.id);
  let cursor: string | undefined;
  for (;;) {
    const { changes } = await b.changes.since(cursor, PAGE);
    for (const c of changes) {
      const planId = (c.data as { planId?: unknown } | undefined)?.planId;
      if (c.domain === "changesets" && typeof planId === "string") ids.add(planId);
    }
    if (changes.length < PAGE) break;
    cursor = changes[changes.length - 1].cursor;
  }
  return [...ids].sort();
}

/** A checkpoint thread's key in digests and reports: `["<scope>","<threadId>"]`. */
export const threadDigestKey = (t: { scope: string; threadId: string }): string => JSON.stringify([t.scope, t.threadId]);

/** Every graph-checkpoint thread that holds anything, whole (ThreadExport), in (scope, threadId) order. */
export async function* checkpointThreads(b: Backend) {
  for (const { scope, threadId } of await b.checkpoints.threads()) {
    const t = await b.checkpoints.exportThread(scope, threadId);
    if (t) yield t;
  }
}

/** Every stored message of a session (hidden ones too), ascending seq. */
export function storedMessages(b: Backend, sessionId: string) {
  return pages((cursor) => b.conversations.listMessages({ sessionId, cursor, limit: PAGE, includeHidden: true }));
}

/** History oldest first (it pages newest to oldest). Bounded by the history retention. */
export async function allHistory(b: Backend) {
  const out = [];
  for await (const e of pages((cursor) => b.history.list({ cursor, limit: PAGE }))) out.push(e);
  return out.sort((x, y) => x.seq - y.seq);
}

export async function digestDomain(b: Backend, domain: CopyDomain): Promise<Digest> {
  const d: Digest = new Map();
  switch (domain) {
    case "groups":
      for await (const g of pages((cursor) => b.groups.listGroups({ cursor, limit: PAGE }))) d.set(g.id, hash(g));
      break;
    case "sessions":
      for await (const s of pages((cursor) => b.conversations.listSessions({ cursor, limit: PAGE }))) {
        const h = createHash("sha256");
        for await (const m of storedMessages(b, s.id)) h.update(canonical(m)).update("\n");
        d.set(s.id, hash({ session: s, messages: h.digest("hex") }));
      }
      break;
    case "plans":
      for await (const p of pages((cursor) => b.plans.listPlans({ cursor, limit: PAGE }))) d.set(p.id, hash(await b.plans.getPlan(p.id)));
      break;
    case "jobs":
      for await (const j of pages((cursor) => b.jobs.listJobs({ cursor, limit: PAGE }))) d.set(j.id, hash(j));
      break;
    case "runs":
      for await (const r of pages((cursor) => b.jobs.listRuns({ cursor, limit: PAGE }))) d.set(r.id, hash(r));
      break;
    case "history":
      for (const e of await allHistory(b)) d.set(String(e.seq).padStart(12, "0"), hash(e));
      break;
    case "changesets":
      for (const planId of await changesetPlanIds(b)) {
        for await (const cs of pages((cursor) => b.changesets.listForPlan({ planId, cursor, limit: PAGE }))) {
          d.set(`changeset:${cs.id}`, hash(await b.changesets.get(cs.id)));
        }
        for await (const inv of pages((cursor) => b.changesets.listInvocationsForPlan({ planId, cursor, limit: PAGE }))) {
          d.set(`invocation:${inv.id}`, hash(inv));
        }
      }
      break;
    case "ledger":
      for await (const t of pages((cursor) => b.ledger.query({ cursor, limit: PAGE }))) d.set(t.idHash, hash(t));
      break;
    case "checkpoints":
      for await (const t of checkpointThreads(b)) d.set(threadDigestKey(t), hash(t));
      break;
  }
  return d;
}
