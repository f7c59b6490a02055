/** Session record rules: defaults, patches, version and sequence checks. Pure; the caller stores the result. */
import type { Message, MessageInput, Session, SessionCreate, SessionPatch } from "../domain/conversations.js";
import { extend } from "../domain/clone.js";
import { conflict } from "../domain/errors.js";
import { compareKeys } from "../domain/order.js";

export function newSession(input: SessionCreate & { id: string }, now: string): Session {
  const s: Session = {
    id: input.id,
    tags: input.tags ?? [],
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
    version: 1,
    messageCount: 0,
    lastSeq: 0,
    truncatedBeforeSeq: 1,
    tokenStats: { inputTokens: 0, outputTokens: 0, requests: 0 },
  };
  if (input.title !== undefined) s.title = input.title;
  if (input.groupId !== undefined) s.groupId = input.groupId;
  if (input.model !== undefined) s.model = input.model;
  if (input.aliases !== undefined && input.aliases.length > 0) s.aliases = [...new Set(input.aliases)];
  return s;
}

const CLEARABLE = ["title", "groupId", "model", "summary", "costStats"] as const;
const SETTABLE = ["tags", "metadata", "tokenStats"] as const;

/** The session after `patch`, with version and updatedAt advanced. Does not mutate `s`. */
export function patchSession(s: Session, patch: SessionPatch, now: string): Session {
  const next: Session = { ...s, version: s.version + 1, updatedAt: now };
  for (const key of CLEARABLE) {
    const value = patch[key];
    if (value === null) delete next[key];
    else if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  for (const key of SETTABLE) {
    if (patch[key] !== undefined) (next as Record<string, unknown>)[key] = patch[key];
  }
  if (patch.aliases !== undefined) {
    if (patch.aliases.length === 0) delete next.aliases;
    else next.aliases = [...new Set(patch.aliases)];
  }
  return next;
}

export function checkVersion(kind: string, current: { id: string; version: number }, expected: number | undefined): void {
  if (expected !== undefined && expected !== current.version) {
    throw conflict(`${kind} ${JSON.stringify(current.id)} is at version ${current.version}, not ${expected}`, {
      expectedVersion: expected,
      actualVersion: current.version,
    });
  }
}

export function checkLastSeq(session: Session, expected: number | undefined): void {
  if (expected !== undefined && expected !== session.lastSeq) {
    throw conflict(`session ${JSON.stringify(session.id)} has lastSeq ${session.lastSeq}, not ${expected}`, {
      expectedLastSeq: expected,
      actualLastSeq: session.lastSeq,
    });
  }
}

/** A stored message: the caller's fields, then the assigned seq and createdAt (which win). */
// The cast: Omit over MessageInput's index signature drops its named keys (role), which the result keeps.
export const stampMessage = (m: MessageInput, seq: number, createdAt: string): Message => extend(m, { seq, createdAt }) as Message;

/** Sessions sort newest updatedAt first, ties by id descending (code point order); the cursor is that key. */
export const sessionSortKey = (s: Session): [string, string] => [s.updatedAt, s.id];
export const compareSessionsDesc = (a: Session, b: Session): number => compareKeys(sessionSortKey(b), sessionSortKey(a));
