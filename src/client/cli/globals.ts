/**
 * Global options anywhere on the line (SPEC §9): `agentstate --json sessions list` and
 * `agentstate sessions list --json` are the same. They are lifted out before the command words are
 * looked up; a `--` ends option processing (what follows is positional, e.g. an exec job's argv).
 */
import type { ParseArgsConfig } from "node:util";
import { CONFIG_FLAGS } from "../../config/config.js";

type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

export const GLOBAL_OPTIONS: OptionSpec = {
  ...CONFIG_FLAGS,
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

const SHORT: Record<string, string> = { "-h": "help" };

export interface Globals {
  /** The global option tokens, in order, values included. */
  globals: string[];
  /** The subset that are daemon settings (--socket, --backend, …), for `agentstate daemon`. */
  daemonArgs: string[];
  /** Everything else, in order. */
  rest: string[];
  /** Index in argv of each token of `rest`. */
  restIndex: number[];
  /** The global flags' values (the last one wins). */
  flags: Record<string, string | boolean>;
}

export function extractGlobals(argv: readonly string[]): Globals {
  const out: Globals = { globals: [], daemonArgs: [], rest: [], restIndex: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === "--") {
      for (let j = i; j < argv.length; j++) {
        out.rest.push(argv[j]);
        out.restIndex.push(j);
      }
      break;
    }
    const eq = token.indexOf("=");
    const name = SHORT[token] ?? (token.startsWith("--") ? token.slice(2, eq > 0 ? eq : undefined) : undefined);
    const spec = name === undefined ? undefined : GLOBAL_OPTIONS[name];
    if (name === undefined || spec === undefined) {
      out.rest.push(token);
      out.restIndex.push(i);
      continue;
    }
    const tokens = [token];
    if (spec.type === "string") {
      if (eq > 0) out.flags[name] = token.slice(eq + 1);
      else if (i + 1 < argv.length) {
        tokens.push(argv[++i]);
        out.flags[name] = argv[i];
      }
      // A string option without its value stays for parseArgs to report.
    } else if (eq < 0) out.flags[name] = true;
    out.globals.push(...tokens);
    if (Object.hasOwn(CONFIG_FLAGS, name)) out.daemonArgs.push(...tokens);
  }
  return out;
}
