/**
 * One message to Postgres with a client-side bound on its answer (docs/operations.md "Postgres
 * timeouts"): a connection whose answer does not come is destroyed, never reused.
 */
import pg from "pg";
import { PgNoReplyError } from "./errors.js";

/** Ends the socket under a client whose reply never came: the pool must not hand it out again. */
export function destroyConnection(client: pg.Client): void {
  client.connection.stream.destroy();
}

/**
 * Where a message of several statements may wait longer than the reply timeout: each statement can
 * wait for row locks (up to lock_timeout, within statement_timeout) on a server that is alive.
 */
export interface Patience {
  /** The longest wait in all. */
  maxMs: number;
  /** Whether the server answers on another connection right now (the LISTEN heartbeat). */
  serverAnswering: () => boolean;
}

/** How often a patient wait asks whether the server still answers elsewhere. */
const PATIENCE_CHECK_MS = 250;

/**
 * Sends one message; rejects with PgNoReplyError (and destroys the connection) when no reply comes
 * in `ms` — or, with `patience`, when none has come by then and the server no longer answers
 * elsewhere, or none has come in `patience.maxMs`.
 */
export async function queryWithin(client: pg.Client, text: string, values: unknown[] | undefined, ms: number, patience?: Patience): Promise<pg.QueryResult> {
  const sent = client.query(text, values);
  if (ms <= 0) return sent;
  sent.catch(() => undefined); // settled by the destroyed socket after our timeout: already answered
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    const check = () => {
      const waited = performance.now() - started;
      if (patience && waited < patience.maxMs && patience.serverAnswering()) {
        timer = setTimeout(check, Math.min(PATIENCE_CHECK_MS, patience.maxMs - waited));
        return;
      }
      destroyConnection(client);
      reject(new PgNoReplyError(waited));
    };
    timer = setTimeout(check, ms);
  });
  try {
    return await Promise.race([sent, late]);
  } finally {
    clearTimeout(timer);
  }
}
