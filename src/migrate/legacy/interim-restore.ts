/**
 * INTERIM. A RestoreStore made of ordinary store methods, used by the daemon's importer only until
 * the storage core provides `backend.restore` (then src/daemon/migrate.ts passes that instead, a
 * one-line change). It writes every record the importers produce and their ids, contents,
 * metadata, hidden prefixes, summaries, token and cost stats, group rollover times, job definitions
 * and history times — but not what only the restore path can write:
 * - createdAt/updatedAt/version of sessions, messages, plans, jobs and groups (the store stamps them),
 * - message seq numbers (renumbered densely from 1; gaps close up),
 * - job bookkeeping (nextRunAt is computed by saveJob; lastRunAt/lastStatus/lastError stay unset),
 * - session aliases.
 * Runs, changesets and invocations cannot be written at all (UNSUPPORTED); the importers never ask.
 * Nor is a session written atomically: it is created with `metadata.imported.incomplete` and loses
 * the flag in its last write, so an import killed half-way restores it again (sessions.ts).
 */
import type { Backend, RestoreStore } from "../../backends/contract.js";
import type { Message, MessageInput, Session } from "../../domain/conversations.js";
import { AgentStateError, isNotFound } from "../../domain/errors.js";
import type { HistoryEntryInput } from "../../domain/history.js";
import { chunks } from "./files.js";

const unsupported = (what: string) =>
  new AgentStateError("UNSUPPORTED", `${what} cannot be restored until the store has its restore path`);

const asInput = ({ seq: _seq, createdAt: _createdAt, ...rest }: Message): MessageInput => rest;

export function contractRestore(backend: Backend): RestoreStore {
  const store = backend.conversations;
  /** Per session restored by this process: its truncatedBeforeSeq and how many visible messages it has so far. */
  const restoring = new Map<string, { hiddenBefore: number; visible: number }>();

  const appendAll = async (sessionId: string, messages: Message[]): Promise<void> => {
    const state = restoring.get(sessionId) ?? { hiddenBefore: 1, visible: 0 };
    restoring.set(sessionId, state);
    for (const chunk of chunks(messages, 500)) await store.append({ sessionId, messages: chunk.map(asInput) });
    state.visible += messages.filter((m) => m.seq >= state.hiddenBefore).length;
    // Hidden messages come first in seq order: keeping the visible ones visible hides exactly them.
    if (messages.some((m) => m.seq < state.hiddenBefore)) await store.truncate(sessionId, state.visible);
  };

  return {
    async session(session: Session, messages: Message[]) {
      try {
        await store.deleteSession(session.id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const imported = session.metadata.imported;
      const marked = typeof imported === "object" && imported !== null ? { ...session.metadata, imported: { ...imported, incomplete: true } } : session.metadata;
      await store.createSession({ id: session.id, title: session.title, groupId: session.groupId, model: session.model, tags: session.tags, metadata: marked });
      restoring.set(session.id, { hiddenBefore: session.truncatedBeforeSeq, visible: 0 });
      await appendAll(session.id, messages);
      await store.updateSession({ id: session.id, summary: session.summary, tokenStats: session.tokenStats, costStats: session.costStats, metadata: session.metadata });
    },
    messages: (sessionId: string, messages: Message[]) => appendAll(sessionId, messages),
    async group(group) {
      await backend.groups.putGroup({
        id: group.id, currentSessionId: group.currentSessionId, history: group.history, lastRolloverAt: group.lastRolloverAt, metadata: group.metadata,
      });
    },
    async job(job) {
      await backend.jobs.saveJob({
        id: job.id, name: job.name, description: job.description, schedule: job.schedule, timezone: job.timezone, anchorAt: job.anchorAt,
        enabled: job.enabled, deleteAfterRun: job.deleteAfterRun, action: job.action, payload: job.payload, misfire: job.misfire, noOverlap: job.noOverlap,
      });
    },
    runs: () => Promise.reject(unsupported("job runs")),
    async plan(plan) {
      await backend.plans.savePlan({ id: plan.id, title: plan.title, body: plan.body, status: plan.status, slug: plan.slug, sessionId: plan.sessionId });
    },
    async history(entries) {
      const inputs: HistoryEntryInput[] = entries.map(({ seq: _seq, ...rest }) => rest);
      for (const chunk of chunks(inputs, 10_000)) await backend.history.append(chunk);
    },
    changeset: () => Promise.reject(unsupported("changesets")),
    invocation: () => Promise.reject(unsupported("tool invocations")),
  };
}
