/** call: any RPC method by name, params as JSON (an argument, or - for stdin); the result as JSON. */
import type { MethodName } from "../../../domain/methods.js";
import { requireArg, UsageError, type Command } from "../context.js";
import { readStdin } from "./input.js";

export const callCommands: Command[] = [
  {
    words: ["call"],
    usage: "agentstate call <method> [json|-]",
    summary: "Call any RPC method (see 'agentstate call rpc.discover'); params as a JSON object or - for stdin; prints the result as JSON.",
    details: "Example: agentstate call sessions.get '{\"id\":\"s1\"}'",
    maxArgs: 2,
    async run(ctx) {
      const method = requireArg(ctx, 0, "method");
      const text = ctx.args[1] === "-" ? await readStdin() : ctx.args[1];
      let params: unknown;
      if (text !== undefined && text.trim() !== "") {
        try {
          params = JSON.parse(text);
        } catch (err) {
          throw new UsageError(`params must be JSON: ${(err as Error).message}`);
        }
        if (typeof params !== "object" || params === null || Array.isArray(params)) throw new UsageError("params must be a JSON object (named params)");
      }
      const client = await ctx.client();
      try {
        const result = await client.call(method as MethodName, params as never);
        ctx.out.out(JSON.stringify(result, null, 2) + "\n");
      } finally {
        client.close();
      }
    },
  },
];
