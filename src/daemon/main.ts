/**
 * `agentstated`: run the daemon in the foreground until SIGTERM/SIGINT, telling systemd how it
 * goes (READY=1 once the backend is open, migrated and the socket listens; STATUS=; WATCHDOG=1
 * while healthy; STOPPING=1). SIGHUP reloads the log level; there is no log file to reopen, since
 * logs go to stderr, which the service manager owns.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CONFIG_FLAGS, ConfigError, redactConfig, resolveConfig } from "../config/config.js";
import { Daemon } from "./daemon.js";
import { isAgentStateError } from "../domain/errors.js";
import { AlreadyRunningError } from "./listener.js";
import { capStderrLog } from "./log-cap.js";
import { VERSION } from "./version.js";
import { LOOP_FAIL_MS } from "./health.js";
import { createLogger, redactSecrets } from "./logger.js";
import { Notifier } from "./sd-notify.js";

/** How much more start-up time each EXTEND_TIMEOUT_USEC asks for while migrations run. */
const MIGRATION_EXTEND_USEC = 60_000_000;

export async function runDaemon(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(daemonHelp());
    return 0;
  }
  if (argv.includes("--version")) {
    process.stdout.write(`agentstated ${VERSION}\n`);
    return 0;
  }
  // State files are the owner's alone, whatever created them (better-sqlite3 opens its files with
  // the process umask; the jsonl backend asks for 0600 itself). The listener narrows it further for
  // the socket. Directories come out 0700.
  process.umask(0o077);
  let resolved;
  try {
    const { values } = parseArgs({ args: argv, options: CONFIG_FLAGS, strict: true, allowPositionals: false });
    resolved = resolveConfig({ flags: values });
  } catch (err) {
    process.stderr.write(`agentstated: ${(err as Error).message}\n`);
    return 2;
  }
  const { config } = resolved;
  const logger = createLogger(config.logLevel);
  const logCap = capStderrLog(process.env);
  const notifier = Notifier.fromEnv(process.env, { log: logger });
  // While a migration runs (possibly one long statement), keep asking systemd for more time.
  let extending: NodeJS.Timeout | undefined;
  const daemon = new Daemon({
    config,
    logger,
    onStatus: (status) => notifier.status(status),
    onMigration: ({ version, name }) => {
      logger.info("migrating the schema", { version, name });
      notifier.extendTimeout(MIGRATION_EXTEND_USEC, `starting: migrating the schema to version ${version} (${name})`);
      extending ??= setInterval(() => notifier.extendTimeout(MIGRATION_EXTEND_USEC), MIGRATION_EXTEND_USEC / 3000);
    },
  });

  const fatal = (what: string) => (err: unknown) => {
    logger.error(what, { error: err instanceof Error ? err.stack ?? err.message : String(err) });
    process.exit(1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));

  // Signals are handled from the first moment: a SIGTERM while starting (a long migration) stops
  // cleanly once start has got as far as it goes, instead of killing the process half-way.
  const serving = `serving ${config.socket} (${config.backend} backend)`;
  let stopping = false;
  let ready = false;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn("second signal; exiting now", { signal });
      finish(1);
      return;
    }
    stopping = true;
    logger.info("stopping", { signal });
    notifier.stopping(`stopping (${signal})`);
    daemon.stop().then(
      () => notifier.flush().then(() => finish(0)),
      (err: unknown) => {
        logger.error("failed to stop cleanly", { error: String(err) });
        void notifier.flush().then(() => finish(1));
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => {
    if (stopping) return;
    if (ready) notifier.reloading("reloading");
    try {
      const next = resolveConfig({ flags: parseArgs({ args: argv, options: CONFIG_FLAGS, strict: true }).values });
      logger.level = next.config.logLevel;
      logger.info("reloaded", { logLevel: next.config.logLevel });
    } catch (err) {
      logger.error("reload failed; keeping the current settings", { error: (err as Error).message });
    }
    if (ready) notifier.ready(serving);
  });

  const outcome = await Promise.race([
    daemon.start().then(
      () => ({ started: true as const }),
      (err: unknown) => ({ started: false as const, err }),
    ),
    finished.then((code) => ({ exit: code })), // only a second signal settles this before start does
  ]);
  clearInterval(extending);
  if ("exit" in outcome) {
    logCap?.stop();
    return outcome.exit;
  }
  if (!outcome.started) {
    const { err } = outcome;
    const plain = startFailure(err, config.backend);
    if (plain !== undefined) {
      logger.error(plain);
      process.stderr.write(`agentstated: ${plain}\n`);
    } else {
      logger.error("failed to start", { error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
    await daemon.stop().catch(() => undefined);
    logCap?.stop();
    notifier.status(redactSecrets(`failed to start: ${err instanceof Error ? err.message : String(err)}`));
    await notifier.flush();
    return 1;
  }
  void finished.then(() => logCap?.stop());
  if (stopping) return finished;
  logger.debug("configuration", { config: redactConfig(config) });
  ready = true;
  notifier.ready(serving);
  const health = daemon.healthMonitor;
  if (health && notifier.watchdogUsec !== undefined) {
    // The loop's delay over each watchdog interval alone: daemon.health resets its own histogram
    // only when someone asks, so its figure can span hours.
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    notifier.startWatchdog(() => {
      const p99Ms = loop.percentile(99) / 1e6;
      loop.reset();
      return health.backendHealthy && p99Ms < LOOP_FAIL_MS;
    });
  }
  return finished;
}

/**
 * The one-line reason for a start-up failure a user can act on (another daemon holds the socket or
 * the data directory, bad settings, a refused connection, a backend package not installed), or
 * undefined for a bug, which is logged with its stack.
 */
function startFailure(err: unknown, backend: string): string | undefined {
  if (err instanceof AlreadyRunningError || err instanceof ConfigError || isAgentStateError(err)) return (err as Error).message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ERR_MODULE_NOT_FOUND") {
    const pkg = /Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1] ?? "a package";
    return `the ${backend} backend needs ${pkg}, which is not installed (an install with --omit=optional leaves the daemon's packages out; see README "Installing"): npm install ${pkg}`;
  }
  return undefined;
}

function daemonHelp(): string {
  const flags = Object.keys(CONFIG_FLAGS).filter((f) => f !== "no-autostart" && f !== "autostart").map((f) => `--${f}`);
  return [
    `agentstated ${VERSION}: the agentstate daemon, in the foreground (logs: JSON lines on stderr).`,
    "usage: agentstated [--socket PATH] [--backend jsonl|sqlite|postgres|redis|memory] [--data-dir DIR] [--url URL] [--config FILE] [--log-level LEVEL] …",
    "",
    "Every setting is also an AGENTSTATE_* variable (--data-dir is AGENTSTATE_DATA_DIR) or a config file key;",
    "'agentstate config' prints them all with where each value came from. Settings:",
    ...wrap(flags.join(" "), 100).map((l) => `  ${l}`),
    "",
    "Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the log level. Exit 1 when it cannot start, 2 on bad flags.",
    "See docs/operations.md.",
    "",
  ].join("\n");
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}
