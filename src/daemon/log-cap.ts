/**
 * The log file of an autostarted daemon (agentstated.log beside the socket, its stderr) is kept
 * small: past AGENTSTATE_LOG_FILE_MAX_BYTES (default 10 MiB) its content moves to
 * agentstated.log.1 (replacing the previous one) and the file starts again, checked every 30 s —
 * logrotate's "copytruncate", since the daemon cannot reopen a stderr it was handed. Only when the
 * CLI started the daemon (it sets AGENTSTATE_LOG_FILE to that file); under systemd or a terminal,
 * stderr belongs to whoever runs the daemon.
 */
import { copyFileSync, fstatSync, ftruncateSync, statSync } from "node:fs";

export const LOG_FILE_ENV = "AGENTSTATE_LOG_FILE";
export const DEFAULT_LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;
const CHECK_EVERY_MS = 30_000;

export interface LogCap {
  /** Checks now (tests). */
  check(): void;
  stop(): void;
}

/** Moves `path` to `path.1` and empties it through `fd` when it has grown past `max`. */
export function rotateIfLarge(path: string, fd: number, max: number): boolean {
  const size = fstatSync(fd).size;
  if (size <= max) return false;
  copyFileSync(path, `${path}.1`);
  ftruncateSync(fd, 0);
  return true;
}

export function capStderrLog(env: NodeJS.ProcessEnv, fd = 2): LogCap | undefined {
  const path = env[LOG_FILE_ENV];
  if (!path) return undefined;
  const max = Number(env.AGENTSTATE_LOG_FILE_MAX_BYTES ?? DEFAULT_LOG_FILE_MAX_BYTES);
  try {
    // Only when our stderr really is that file (not a terminal a user redirected elsewhere).
    const a = fstatSync(fd);
    const b = statSync(path);
    if (!a.isFile() || a.ino !== b.ino || a.dev !== b.dev) return undefined;
  } catch {
    return undefined;
  }
  const check = () => {
    try {
      rotateIfLarge(path, fd, Number.isFinite(max) && max > 0 ? max : DEFAULT_LOG_FILE_MAX_BYTES);
    } catch {
      // a full disk or a removed file must not take the daemon down; the next check tries again
    }
  };
  check();
  const timer = setInterval(check, CHECK_EVERY_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
