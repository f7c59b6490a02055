/** `agentstated`: run the daemon in the foreground until SIGTERM/SIGINT. */
import { parseArgs } from "node:util";
import { CONFIG_FLAGS, ConfigError, redactConfig, resolveConfig } from "../config/config.js";
import { Daemon } from "./daemon.js";
import { AlreadyRunningError } from "./listener.js";
import { createLogger } from "./logger.js";

export async function runDaemon(argv: string[]): Promise<number> {
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
  const daemon = new Daemon({ config, logger });

  const fatal = (what: string) => (err: unknown) => {
    logger.error(what, { error: err instanceof Error ? err.stack ?? err.message : String(err) });
    process.exit(1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));

  try {
    await daemon.start();
  } catch (err) {
    if (err instanceof AlreadyRunningError || err instanceof ConfigError) {
      logger.error(err.message);
      process.stderr.write(`agentstated: ${err.message}\n`);
    } else {
      logger.error("failed to start", { error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
    await daemon.stop().catch(() => undefined);
    return 1;
  }
  logger.debug("configuration", { config: redactConfig(config) });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn("second signal; exiting now", { signal });
        resolve(1);
        return;
      }
      stopping = true;
      logger.info("stopping", { signal });
      daemon.stop().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error("failed to stop cleanly", { error: String(err) });
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      try {
        const next = resolveConfig({ flags: parseArgs({ args: argv, options: CONFIG_FLAGS, strict: true }).values });
        logger.level = next.config.logLevel;
        logger.info("reloaded", { logLevel: next.config.logLevel });
      } catch (err) {
        logger.error("reload failed; keeping the current settings", { error: (err as Error).message });
      }
    });
  });
}
