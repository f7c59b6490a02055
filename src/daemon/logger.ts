/**
 * Structured JSON logs on stderr (winston). Under journald each line gets a `<N>` priority prefix so
 * the journal records the right level: only when JOURNAL_STREAM names the stream stderr really is
 * (as systemd documents), so a child that inherits the variable but writes elsewhere stays plain.
 *
 * Message bodies and secrets are never passed to the logger in the first place; as a last line of
 * defence every line is also scrubbed of URL passwords and secret-looking query parameters, which
 * can reach a log inside a driver's error text.
 */
import { fstatSync } from "node:fs";
import winston from "winston";
import type { LogLevel } from "../config/config.js";

const JOURNAL_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** The fd the logs go to, compared with JOURNAL_STREAM (default 2, stderr). */
  fd?: number;
}

export function createLogger(level: LogLevel, env: Record<string, string | undefined> = process.env, opts: LoggerOptions = {}): Logger {
  const journald = isJournalStream(env.JOURNAL_STREAM, opts.fd ?? 2);
  const line = winston.format.printf((info) => {
    const { level: lvl, message, timestamp, ...rest } = info;
    const json = redactSecrets(JSON.stringify({ time: timestamp, level: lvl, msg: message, ...rest }));
    return journald ? `<${JOURNAL_PRIORITY[lvl] ?? 6}>${json}` : json;
  });
  return winston.createLogger({
    level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: winston.format.combine(winston.format.timestamp(), line),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })],
  });
}

/** Whether `journalStream` ("<dev>:<ino>") is the stream open on `fd`. */
export function isJournalStream(journalStream: string | undefined, fd: number): boolean {
  const m = /^(\d+):(\d+)$/.exec(journalStream ?? "");
  if (!m) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]) && st.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'\\]*):[^\s@/"'\\]+@/gi;
const SECRET_PARAM = /([?&;][^=&\s"'\\]*(?:pass|secret|token|key)[^=&\s"'\\]*=)[^&\s"'\\]+/gi;

/** `text` with URL passwords and secret-looking query parameters replaced by `***`. */
export function redactSecrets(text: string): string {
  return text.replace(URL_PASSWORD, "$1:***@").replace(SECRET_PARAM, "$1***");
}
