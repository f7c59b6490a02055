/** What every CLI command receives, and how commands are declared. */
import type { ParseArgsConfig } from "node:util";
import type { ResolvedConfig } from "../../config/config.js";
import type { Client } from "../index.js";
import type { Output } from "./output.js";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliContext {
  config: ResolvedConfig;
  /** Positionals after the command words. */
  args: string[];
  options: OptionValues;
  out: Output;
  /** Connects (starting a daemon when allowed and needed). */
  client(opts?: { autostart?: boolean }): Promise<Client>;
  /** For a raw command: the daemon settings given before its words, then the argv after them, untouched. */
  rest: string[];
}

export interface Command {
  /** Command words, e.g. ["sessions", "list"]. */
  words: string[];
  usage: string;
  summary: string;
  /** More help under the usage line (examples, notes). */
  details?: string;
  options?: OptionSpec;
  /** Most positionals accepted (default: the <args> of the usage line); more is a usage error. */
  maxArgs?: number;
  /** Pass every following argument through unparsed. */
  raw?: boolean;
  run(ctx: CliContext): Promise<number | void>;
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends Error {}

export const intOption = (ctx: CliContext, name: string): number | undefined => {
  const v = ctx.options[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number; got ${JSON.stringify(v)}`);
  return n;
};

export const requireArg = (ctx: CliContext, index: number, name: string): string => {
  const v = ctx.args[index];
  if (v === undefined) throw new UsageError(`missing <${name}>`);
  return v;
};
