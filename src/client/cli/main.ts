/** `agentstate <domain> <verb>`: exit 0 ok, 1 failure, 2 usage, 3 daemon unreachable. */
import { parseArgs } from "node:util";
import { CONFIG_FLAGS, ConfigError, resolveConfig, type ResolvedConfig } from "../../config/config.js";
import { connect, type Client } from "../index.js";
import { DaemonUnreachableError, RequestTimeoutError, RpcCallError } from "../errors.js";
import { spawnDaemon } from "./autostart.js";
import { commands } from "./commands/index.js";
import { UsageError, type Command, type CliContext, type OptionSpec } from "./context.js";
import type { Output } from "./output.js";

const GLOBAL: OptionSpec = { ...CONFIG_FLAGS, json: { type: "boolean" }, help: { type: "boolean", short: "h" } };
const AUTOSTART_WAIT_MS = 5000;

export async function runCli(argv: string[], io: Pick<Output, "out" | "err"> = stdio()): Promise<number> {
  const command = findCommand(argv);
  const wantsHelp = argv.length === 0 || argv.includes("--help") || argv.includes("-h");
  if (!command && !wantsHelp) {
    const words = argv.slice(0, 2).filter((w, i) => i === 0 || !w.startsWith("-"));
    io.err(`agentstate: unknown command ${JSON.stringify(words.join(" "))}\n\n${help()}`);
    return 2;
  }
  if (!command || wantsHelp) {
    io.out(help(command));
    return 0;
  }
  const after = argv.slice(command.words.length);
  try {
    const { values, positionals } = command.raw
      ? { values: {}, positionals: [] }
      : parseArgs({ args: after, options: { ...GLOBAL, ...command.options }, strict: true, allowPositionals: true });
    const flags = values as Record<string, string | boolean | undefined>;
    const { config } = resolveConfig({ flags: command.raw ? {} : flags });
    const missing = requiredArgs(command).slice(positionals.length)[0];
    if (missing !== undefined) throw new UsageError(`missing <${missing}>\nusage: ${command.usage}`);
    const ctx: CliContext = {
      config,
      args: positionals,
      options: values,
      rest: after,
      out: { json: flags.json === true, ...io },
      client: (opts) => connectOrStart(config, flags, opts?.autostart ?? config.autostart),
    };
    return (await command.run(ctx)) ?? 0;
  } catch (err) {
    return report(err, io);
  }
}

function report(err: unknown, io: Pick<Output, "err">): number {
  if (err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    io.err(`agentstate: ${(err as Error).message}\n`);
    return 2;
  }
  if (err instanceof DaemonUnreachableError) {
    io.err(`agentstate: ${err.message} (start one with 'agentstate daemon', or allow autostart)\n`);
    return 3;
  }
  if (err instanceof RpcCallError) {
    io.err(`agentstate: ${err.message}${err.code ? ` [${err.code}]` : ""}\n`);
    const issues = err.data?.issues;
    if (Array.isArray(issues)) for (const i of issues as { path: string; message: string }[]) io.err(`  ${i.path || "(params)"}: ${i.message}\n`);
    return 1;
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
  spawnDaemon(config, flags);
  return connect({ socket: config.socket, timeoutMs, connectTimeoutMs: AUTOSTART_WAIT_MS });
}

/**
 * The positionals a command requires, read from its usage line (`<id>` after the command words; a
 * `<x>` right after an option is that option's value). Checked before anything connects, so a
 * missing argument is a usage error (exit 2) and never starts a daemon.
 */
function requiredArgs(command: Command): string[] {
  const tokens = command.usage.split(/\s+/).slice(1 + command.words.length);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.startsWith("--") || t.startsWith("[")) {
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

function help(command?: Command): string {
  if (command) return `usage: ${command.usage}\n\n${command.summary}\n`;
  const width = Math.max(...commands.map((c) => c.words.join(" ").length));
  return [
    "usage: agentstate <command> [options]",
    "",
    ...commands.map((c) => `  ${c.words.join(" ").padEnd(width)}  ${c.summary}`),
    "",
    "Common options: --socket PATH, --json, --no-autostart, --config FILE.",
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 daemon unreachable.",
    "",
  ].join("\n");
}

function stdio(): Pick<Output, "out" | "err"> {
  return { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
}
