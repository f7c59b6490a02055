/** Reading option values and stdin for write verbs. */
import { UsageError, type CliContext } from "../context.js";

export const stringOption = (ctx: CliContext, name: string): string | undefined => {
  const v = ctx.options[name];
  return typeof v === "string" ? v : undefined;
};

/** A JSON option value, parsed; a usage error (exit 2) when it is not JSON. */
export function jsonOption(ctx: CliContext, name: string): unknown {
  const v = stringOption(ctx, name);
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch (err) {
    throw new UsageError(`--${name} must be JSON (${(err as Error).message})`);
  }
}

/** All of stdin as UTF-8 (for `-` arguments). */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk));
  return Buffer.concat(chunks).toString("utf8");
}
