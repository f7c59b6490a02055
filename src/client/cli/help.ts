/** `agentstate help [command]`, `--help` on every command. */
import { VERSION } from "../../daemon/version.js";
import type { Command } from "./context.js";
import { displayWidth } from "./width.js";

const GLOBAL_HELP = [
  "Global options (anywhere on the line):",
  "  --socket PATH     the daemon's socket (AGENTSTATE_SOCKET)",
  "  --json            machine-readable output",
  "  --config FILE     a config file (AGENTSTATE_CONFIG)",
  "  --no-autostart    never start a daemon (AGENTSTATE_AUTOSTART=0)",
  "  --help, -h        help for the command",
  "  --version         print the version",
  "Daemon settings (--backend, --data-dir, --url, …) are passed to a daemon the CLI starts; see 'agentstate daemon --help'.",
  "Exit codes: 0 ok, 1 failure, 2 usage (rejected by the CLI or the daemon), 3 daemon unreachable.",
];

export function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => displayWidth(c.words.join(" "))));
  return [
    `agentstate ${VERSION}`,
    "usage: agentstate <command> [options]",
    "",
    ...commands.map((c) => `  ${c.words.join(" ").padEnd(width)}  ${c.summary}`),
    `  ${"help [command]".padEnd(width)}  Help for one command, or for a domain (agentstate help jobs).`,
    "",
    ...GLOBAL_HELP,
    "",
  ].join("\n");
}

export function commandHelp(command: Command): string {
  return `usage: ${command.usage}\n\n${command.summary}\n${command.details ? `\n${command.details.trimEnd()}\n` : ""}\n${GLOBAL_HELP.join("\n")}\n`;
}

/** Every command of a domain (`agentstate help jobs`), or undefined when none has that first word. */
export function topicHelp(commands: readonly Command[], word: string): string | undefined {
  const matching = commands.filter((c) => c.words[0] === word);
  if (matching.length === 0) return undefined;
  return matching.map((c) => `usage: ${c.usage}\n  ${c.summary}\n`).join("\n");
}
