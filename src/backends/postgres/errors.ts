/** What a pg error means for the caller: a driver's text never leaves this file. */
import { AgentStateError, backendUnavailable, invalidParams } from "../../domain/errors.js";

const codeOf = (err: unknown) => (err as { code?: unknown }).code;

/** The socket failed or the server ended the session: whatever was in flight got no answer. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);

/**
 * The server gave up on the statement and rolled the transaction back: statement_timeout (57014),
 * lock_timeout (55P03), idle_in_transaction_session_timeout (25P03), a deadlock (40P01), a
 * serialization failure (40001). Nothing was stored; trying again may well work.
 */
const TRANSIENT_CODES = new Set(["57014", "55P03", "25P03", "40P01", "40001"]);

/** Lost to another transaction: a lock waited for too long, a deadlock, a serialization failure, a statement cancelled by statement_timeout. */
const CONTENTION_CODES = new Set(["55P03", "40P01", "40001", "57014"]);

/** A server answer that says the transaction lost to another one and may well succeed if run again. */
export const isContention = (err: unknown): boolean => {
  const code = codeOf(err);
  return typeof code === "string" && CONTENTION_CODES.has(code);
};

/** Text PostgreSQL refuses to store: a NUL character (22021), or one the encoding lacks (22P05). */
const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

/** Raised by our own client-side timer (db.ts) when a statement got no reply in time. */
export class PgNoReplyError extends Error {
  readonly waitedMs: number;
  constructor(waitedMs: number) {
    super(`no reply from postgres within ${Math.round(waitedMs)} ms`);
    this.waitedMs = Math.round(waitedMs);
  }
}

/**
 * True when the connection is gone or unanswered, so the server's answer to what was last sent is
 * unknown: our timeout, a reset socket, a terminated session. A server error reply (a SQLSTATE other
 * than the connection classes) is not: the server answered.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof PgNoReplyError) return true;
  const code = codeOf(err);
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  const message = (err as Error).message ?? "";
  // "timeout expired": pg's own connect timeout; "timeout exceeded when trying to connect": pg-pool's wait.
  return /Connection terminated|timeout exceeded when trying to connect|timeout expired|not queryable|Client has encountered a connection error|socket hang up/i.test(message);
}

/**
 * True when pg refused to send at all, writing nothing: the connection had already failed or was
 * closed (the server ended an idle transaction, say). A COMMIT refused so never left.
 */
export const wasNeverSent = (err: unknown): boolean => /not queryable/.test((err as Error | undefined)?.message ?? "");

/** Driver errors become AgentStateErrors; a caller never sees driver text. */
export function mapPgError(err: unknown): unknown {
  if (err instanceof AgentStateError) return err;
  const code = codeOf(err);
  if (typeof code === "string" && UNSTORABLE_TEXT.has(code)) {
    return invalidParams("a string holds a NUL character, which PostgreSQL cannot store in a text field");
  }
  if (err instanceof PgNoReplyError) return backendUnavailable(`postgres did not answer within ${err.waitedMs} ms`);
  if (isConnectionLoss(err)) return backendUnavailable(`postgres is unreachable (${typeof code === "string" ? code : "connection lost"})`);
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return backendUnavailable(`postgres gave up on the statement (${code}); nothing was stored, try again`);
  return err;
}
