/**
 * Structured JSON logs on stderr (winston). Under journald (JOURNAL_STREAM set) each line gets a
 * `<N>` priority prefix so the journal records the right level. Message bodies and secrets are
 * never passed to the logger in the first place.
 */
import winston from "winston";
import type { LogLevel } from "../config/config.js";

const JOURNAL_PRIORITY: Record<string, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export type Logger = winston.Logger;

export function createLogger(level: LogLevel, env: Record<string, string | undefined> = process.env): Logger {
  const journald = Boolean(env.JOURNAL_STREAM);
  const line = winston.format.printf((info) => {
    const { level: lvl, message, timestamp, ...rest } = info;
    const json = JSON.stringify({ time: timestamp, level: lvl, msg: message, ...rest });
    return journald ? `<${JOURNAL_PRIORITY[lvl] ?? 6}>${json}` : json;
  });
  return winston.createLogger({
    level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: winston.format.combine(winston.format.timestamp(), line),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })],
  });
}
