/** `agentstate <domain> <verb>`: exit 0 ok, 1 failure, 2 usage, 3 daemon unreachable. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CONFIG_FLAGS, ConfigError, resolveConfig, type ResolvedConfig } from "../../config/config.js";
import { VERSION } from "../../daemon/version.js";
import { connect, type Client } from "../index.js";
import { DaemonUnreachableError, RequestTimeoutError, RpcCallError } from "../errors.js";
import { spawnDaemon } from "./autostart.js";
import { commands } from "./commands/index.js";
import { UsageError, type Command, type CliContext } from "./context.js";
import { extractGlobals, GLOBAL_OPTIONS } from "./globals.js";
import { commandHelp, overview, topicHelp } from "./help.js";
import { escapeControls, type Output } from "./output.js";

const AUTOSTART_WAIT_MS = 5000;

/** Server answers that mean "what you typed is wrong": exit 2, like the CLI's own checks. */
const USAGE_CODES = new Set(["INVALID_PARAMS", "METHOD_NOT_FOUND"]);

export async function runCli(argv: string[], io: Pick<Output, "out" | "err"> = stdio()): Promise<number> {
  const { globals, rest, restIndex, flags: globalFlags } = extractGlobals(argv);
  if (globalFlags.version === true && rest.length === 0) {
    io.out(globalFlags.json === true ? JSON.stringify({ version: VERSION }) + "\n" : `agentstate ${VERSION}\n`);
    return 0;
  }
  if (rest[0] === "help") return helpCommand(rest.slice(1), io);
  const command = findCommand(rest);
  const wantsHelp = globalFlags.help === true;
  if (!command) {
    if (rest.length === 0) {
      io.out(overview(commands));
      return 0;
    }
    if (wantsHelp && topicHelp(commands, rest[0]) !== undefined) {
      io.out(topicHelp(commands, rest[0]) as string);
      return 0;
    }
    const words = rest.slice(0, 2).filter((w, i) => i === 0 || !w.startsWith("-"));
    const topic = topicHelp(commands, rest[0]);
    io.err(`agentstate: unknown command ${JSON.stringify(words.join(" "))}\n\n${topic ?? overview(commands)}`);
    return 2;
  }
  // A raw command (agentstate daemon) answers its own --help; one given before its words is ours.
  const helpBeforeRaw = command.raw && rest.length > 0 && argv.slice(0, restIndex[0]).some((a) => a === "--help" || a === "-h");
  if (wantsHelp && (!command.raw || helpBeforeRaw)) {
    io.out(commandHelp(command));
    return 0;
  }
  // A raw command (agentstate daemon) gets what follows its words untouched, and the daemon
  // settings given before them.
  const after = command.raw ? argv.slice(restIndex[command.words.length - 1] + 1) : rest.slice(command.words.length);
  const rawArgs = command.raw ? [...extractGlobals(argv.slice(0, restIndex[0])).daemonArgs, ...after] : after;
  try {
    const { values, positionals } = command.raw
      ? { values: {}, positionals: [] }
      : parseArgs({ args: [...globals, ...after], options: { ...GLOBAL_OPTIONS, ...command.options }, strict: true, allowPositionals: true });
    const flags = values as Record<string, string | boolean | undefined>;
    const { config } = resolveConfig({ flags: configFlags(flags) });
    if (!command.raw) checkArgs(command, positionals);
    const ctx: CliContext = {
      config,
      args: positionals,
      options: values,
      rest: rawArgs,
      out: { json: flags.json === true, ...io },
      client: (opts) => connectOrStart(config, flags, opts?.autostart ?? config.autostart),
    };
    return (await command.run(ctx)) ?? 0;
  } catch (err) {
    return report(err, io);
  }
}

/** Only configuration settings go to resolveConfig (it rejects nothing else, but keeps the provenance exact). */
function configFlags(flags: Record<string, string | boolean | undefined>): Record<string, string | boolean | undefined> {
  return Object.fromEntries(Object.entries(flags).filter(([k]) => Object.hasOwn(CONFIG_FLAGS, k)));
}

function helpCommand(words: string[], io: Pick<Output, "out" | "err">): number {
  if (words.length === 0) {
    io.out(overview(commands));
    return 0;
  }
  const command = findCommand(words);
  if (command && words.length === command.words.length) {
    io.out(commandHelp(command));
    return 0;
  }
  const topic = words.length === 1 ? topicHelp(commands, words[0]) : undefined;
  if (topic !== undefined) {
    io.out(topic);
    return 0;
  }
  io.err(`agentstate: no help for ${JSON.stringify(words.join(" "))}: not a command\n\n${overview(commands)}`);
  return 2;
}

function report(err: unknown, io: Pick<Output, "err">): number {
  if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    io.err(`agentstate: ${(err as Error).message}\n`);
    return 2;
  }
  if (err instanceof AutostartFailedError) {
    io.err(`agentstate: ${err.message}\n`);
    return 3;
  }
  if (err instanceof DaemonUnreachableError) {
    io.err(`agentstate: ${err.message} (start one with 'agentstate daemon', or allow autostart)\n`);
    return 3;
  }
  if (err instanceof RpcCallError) {
    io.err(`agentstate: ${err.message}${err.code ? ` [${err.code}]` : ""}\n`);
    return err.code !== undefined && USAGE_CODES.has(err.code) ? 2 : 1;
  }
  if (err instanceof RequestTimeoutError) {
    io.err(`agentstate: ${err.message}\n`);
    return 1;
  }
  io.err(`agentstate: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

async function connectOrStart(config: ResolvedConfig, flags: Record<string, string | boolean | undefined>, autostart: boolean): Promise<Client> {
  const timeoutMs = config.requestTimeoutMs;
  try {
    return await connect({ socket: config.socket, timeoutMs, connectTimeoutMs: 200 });
  } catch (err) {
    if (!(err instanceof DaemonUnreachableError) || !autostart) throw err;
  }
  const log = spawnDaemon(config, flags);
  try {
    return await connect({ socket: config.socket, timeoutMs, connectTimeoutMs: AUTOSTART_WAIT_MS });
  } catch (err) {
    // The daemon we started said why it stopped (a missing package, a held data directory, …).
    if (err instanceof DaemonUnreachableError) throw new AutostartFailedError(err.socketPath, log, lastLines(log, 3));
    throw err;
  }
}

/** Autostart ran but nothing answered in time: exit 3, with what the daemon's log says. */
class AutostartFailedError extends DaemonUnreachableError {
  constructor(socketPath: string, readonly logPath: string, readonly logTail: string) {
    super(socketPath);
    this.message = `${this.message}; the daemon started for it did not answer within ${AUTOSTART_WAIT_MS / 1000} s` +
      (logTail ? `. ${logPath} ends with:\n${logTail}` : ` (see ${logPath})`);
  }
}

function lastLines(path: string, n: number): string {
  try {
    const text = readFileSync(path, "utf8");
    return escapeControls(text.slice(-4096), true).trimEnd().split("\n").slice(-n).map((l) => `  ${l}`).join("\n");
  } catch {
    return "";
  }
}

/**
 * The positionals a command takes, read from its usage line (`<id>` after the command words; a
 * `<x>` right after an option is that option's value), unless it declares `maxArgs`. Checked before
 * anything connects, so a missing or extra argument is a usage error (exit 2) and never starts a daemon.
 */
function checkArgs(command: Command, positionals: string[]): void {
  const required = requiredArgs(command);
  const missing = required.slice(positionals.length)[0];
  if (missing !== undefined) throw new UsageError(`missing <${missing}>\nusage: ${command.usage}`);
  const max = command.maxArgs ?? required.length;
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[max])}\nusage: ${command.usage}`);
  }
}

function requiredArgs(command: Command): string[] {
  const tokens = command.usage.split(/\s+/).slice(1 + command.words.length);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith("--") || t.startsWith("[") || t.startsWith("(")) {
      if (tokens[i + 1]?.startsWith("<")) i++;
      continue;
    }
    const m = /^<([^>]+)>$/.exec(t);
    if (m) out.push(m[1]);
  }
  return out;
}

function findCommand(argv: string[]): Command | undefined {
  const words = argv.slice(0, 2);
  return (
    commands.find((c) => c.words.length === 2 && c.words[0] === words[0] && c.words[1] === words[1]) ??
    commands.find((c) => c.words.length === 1 && c.words[0] === words[0])
  );
}

function stdio(): Pick<Output, "out" | "err"> {
  return { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
}
