/** events tail: one line per change, following the change log until interrupted. */
import { DOMAINS, type Change } from "../../../domain/changes.js";
import { isCursor } from "../../../domain/cursor.js";
import { parseTopic } from "../../../domain/events.js";
import type { EventMessage } from "../../subscriptions.js";
import { UsageError, intOption, type Command } from "../context.js";
import { escapeControls } from "../output.js";

const human = (c: Change): string =>
  escapeControls(
    [c.cursor, c.at, c.type, c.id, c.version === undefined ? "" : `v${c.version}`, c.origin, c.data === undefined ? "" : JSON.stringify(c.data)]
      .filter((p) => p !== "")
      .join("  "),
  ) + "\n";

export const eventsCommands: Command[] = [
  {
    words: ["events", "tail"],
    usage: "agentstate events tail [topics…] [--from CURSOR] [--count N] [--json]",
    summary: "Follow changes (all domains, or the given topics: sessions, sessions:<id>, …); one line each.",
    options: { from: { type: "string" }, count: { type: "string" } },
    maxArgs: Infinity,
    async run(ctx) {
      const topics = ctx.args.length > 0 ? ctx.args : [...DOMAINS];
      for (const t of topics) if (!parseTopic(t)) throw new UsageError(`not a topic: ${JSON.stringify(t)} (one of ${DOMAINS.join(", ")}, or <domain>:<id>)`);
      const from = ctx.options.from as string | undefined;
      if (from !== undefined && !isCursor(from)) throw new UsageError(`--from must be a change cursor; got ${JSON.stringify(from)}`);
      const count = intOption(ctx, "count");
      const client = await ctx.client();
      let seen = 0;
      let stopped = false;
      let resolveDone!: (code: number) => void;
      const done = new Promise<number>((resolve) => (resolveDone = resolve));
      const finish = (code: number) => {
        stopped = true;
        resolveDone(code);
      };
      const onMessage = (m: EventMessage) => {
        // Changes arrive in batches: with --count, the ones after the last wanted are dropped here.
        if (stopped) return;
        if (m.type === "change") {
          ctx.out.out(ctx.out.json ? JSON.stringify(m.change) + "\n" : human(m.change));
          if (count !== undefined && ++seen >= count) finish(0);
        } else if (m.type === "reset") {
          ctx.out.err(`agentstate: events before ${m.cursor} were pruned (${m.reason}); continuing from there\n`);
        } else {
          ctx.out.err(`agentstate: fell behind at ${m.lastCursor}; ${m.resumed ? "resumed" : "stopped"}\n`);
        }
      };
      const sub = await client.events.subscribe(topics, onMessage, {
        fromCursor: from,
        onError: (err) => {
          ctx.out.err(`agentstate: ${err instanceof Error ? err.message : String(err)}\n`);
          finish(1);
        },
      });
      if (count === 0) finish(0);
      const stop = () => finish(0);
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      try {
        return await done;
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        await sub.unsubscribe().catch(() => undefined);
        client.close();
      }
    },
  },
];
