/**
 * A test double of the restore path: records what the importers restore, exactly as given, and
 * answers the importers' lookups from it. Used for the mapping tests until backends expose
 * `backend.restore`; history and ledger writes go to a real MemoryBackend.
 */
import type { RestoreStore, ThreadExport } from "../../src/backends/contract.js";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import type { ChangeEntry, ChangeSet, ToolInvocation } from "../../src/domain/changesets.js";
import type { Message, Session } from "../../src/domain/conversations.js";
import type { Group } from "../../src/domain/groups.js";
import type { HistoryEntry } from "../../src/domain/history.js";
import type { Job, Run } from "../../src/domain/jobs.js";
import { conflict } from "../../src/domain/errors.js";
import type { Plan } from "../../src/domain/plans.js";
import type { ImportLookup, ImportTarget, RestoredSession } from "../../src/migrate/legacy/target.js";

export class RecordingRestore implements RestoreStore {
  readonly sessions = new Map<string, { session: RestoredSession; messages: Map<number, Message> }>();
  readonly groups = new Map<string, Group>();
  readonly jobs = new Map<string, Job>();
  readonly plans = new Map<string, Plan>();
  readonly restoredRuns: Run[] = [];
  readonly restoredHistory: HistoryEntry[] = [];
  /** Every restore call in order, for tests that check what was (not) written. */
  readonly calls: string[] = [];

  /** Like the restore path's contract: an alias names one session; another session's alias is CONFLICT. */
  async session(session: Session, messages: Message[]): Promise<void> {
    this.calls.push(`session ${session.id}`);
    const copy = structuredClone(session) as RestoredSession;
    for (const [id, s] of this.sessions) {
      const taken = id !== copy.id ? copy.aliases?.find((a) => s.session.aliases?.includes(a)) : undefined;
      if (taken !== undefined) throw conflict(`alias ${JSON.stringify(taken)} already names session ${JSON.stringify(id)}`);
    }
    this.sessions.set(session.id, { session: copy, messages: new Map() });
    await this.messages(session.id, messages, false);
  }
  async messages(sessionId: string, messages: Message[], record = true): Promise<void> {
    if (record) this.calls.push(`messages ${sessionId}`);
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`messages for a session never restored: ${sessionId}`);
    let last = 0;
    for (const m of messages) {
      if (m.seq <= last || m.seq > s.session.lastSeq) throw new Error(`seq ${m.seq} out of order or past lastSeq ${s.session.lastSeq}`);
      last = m.seq;
      s.messages.set(m.seq, structuredClone(m));
    }
  }
  async group(group: Group): Promise<void> {
    this.calls.push(`group ${group.id}`);
    this.groups.set(group.id, structuredClone(group));
  }
  async job(job: Job): Promise<void> {
    this.calls.push(`job ${job.id}`);
    this.jobs.set(job.id, structuredClone(job));
  }
  async runs(runs: Run[]): Promise<void> {
    this.restoredRuns.push(...structuredClone(runs));
  }
  async plan(plan: Plan): Promise<void> {
    this.calls.push(`plan ${plan.id}`);
    this.plans.set(plan.id, structuredClone(plan));
  }
  async history(entries: HistoryEntry[]): Promise<void> {
    this.restoredHistory.push(...structuredClone(entries));
  }
  changeset(_c: ChangeSet, _e: ChangeEntry[]): Promise<void> {
    return Promise.reject(new Error("the importers never restore changesets"));
  }
  checkpointThread(_t: ThreadExport): Promise<void> {
    return Promise.reject(new Error("the importers never restore graph checkpoints"));
  }
  invocation(_i: ToolInvocation): Promise<void> {
    return Promise.reject(new Error("the importers never restore invocations"));
  }

  /** The restored messages of a session, ascending seq. */
  messagesOf(id: string): Message[] {
    return [...(this.sessions.get(id)?.messages.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }
  /** What a store that restored these records would return. */
  readonly lookup: ImportLookup = {
    session: async (id) => structuredClone(this.sessions.get(id)?.session),
    group: async (id) => structuredClone(this.groups.get(id)),
    job: async (id) => structuredClone(this.jobs.get(id)),
    plan: async (id) => structuredClone(this.plans.get(id)),
  };
}

/** An import target over a RecordingRestore and a MemoryBackend (for history and the ledger). */
export async function recordingTarget(): Promise<{ target: ImportTarget; rec: RecordingRestore; backend: MemoryBackend }> {
  const backend = new MemoryBackend({ origin: "test", now: () => new Date() });
  await backend.open();
  const rec = new RecordingRestore();
  return { rec, backend, target: { restore: rec, lookup: rec.lookup, history: backend.history, ledger: backend.ledger } };
}
