/**
 * Start a daemon in the background when none answers (SPEC §8), so a fresh machine works without
 * any unit installed. Its stderr goes to agentstated.log beside the socket (mode 0600), which the
 * daemon keeps under 10 MiB plus one agentstated.log.1 (src/daemon/log-cap.ts).
 */
import { spawn } from "node:child_process";
import { mkdirSync, openSync, closeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_FLAGS, type ResolvedConfig } from "../../config/config.js";
import { DAEMON_NODE_FLAGS } from "../../config/node-flags.js";

/** Same name as src/daemon/log-cap.ts LOG_FILE_ENV (not imported: the client does not load daemon code). */
const LOG_FILE_ENV = "AGENTSTATE_LOG_FILE";

const DAEMON_BIN = fileURLToPath(new URL("../../../../bin/agentstated.js", import.meta.url));

/** Spawns `agentstated` detached with the same settings; the caller then waits for it to answer. Returns its log's path. */
export function spawnDaemon(config: ResolvedConfig, flags: Record<string, string | boolean | undefined>): string {
  const dir = dirname(config.socket);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const logPath = join(dir, "agentstated.log");
  const log = openSync(logPath, "a", 0o600);
  const args = [...DAEMON_NODE_FLAGS, DAEMON_BIN];
  for (const [flag, value] of Object.entries(flags)) {
    // Only settings the daemon takes: command options (--limit, --tag, …) would make it exit on start.
    if (typeof value === "string" && Object.hasOwn(CONFIG_FLAGS, flag)) args.push(`--${flag}`, value);
  }
  args.push("--socket", config.socket);
  // A CLI run by a service must not hand that service's notify socket (READY=1 and MAINPID= from the
  // wrong process) or its inherited sockets to the daemon it starts.
  const env = { ...process.env };
  for (const name of ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"]) delete env[name];
  env[LOG_FILE_ENV] = logPath;
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", log, log], env });
    child.unref();
  } finally {
    closeSync(log);
  }
  return logPath;
}
