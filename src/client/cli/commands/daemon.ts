/** daemon, ping, health, config. */
import { redactConfig, resolveConfig } from "../../../config/config.js";
import type { Health } from "../../../domain/daemon.js";
import { ConnectionLostError, DaemonUnreachableError, RequestTimeoutError } from "../../errors.js";
import type { Command } from "../context.js";
import { emit, escapeControls } from "../output.js";

const NAGIOS = { pass: ["OK", 0], warn: ["WARNING", 1], fail: ["CRITICAL", 2] } as const;

export const daemonCommands: Command[] = [
  {
    words: ["daemon"],
    usage: "agentstate daemon [daemon flags]",
    summary: "Run the daemon in the foreground (same as agentstated).",
    raw: true,
    async run(ctx) {
      let main: typeof import("../../../daemon/main.js");
      try {
        main = await import("../../../daemon/main.js");
      } catch (err) {
        const pkg = (err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" ? /Cannot find (?:package|module) '([^']+)'/.exec((err as Error).message)?.[1] : undefined;
        if (pkg === undefined) throw err;
        throw new Error(`the daemon needs ${pkg}, which is not installed (a client-only install, --omit=optional?): npm install --include=optional agentstate`);
      }
      return main.runDaemon(ctx.rest);
    },
  },
  {
    words: ["ping"],
    usage: "agentstate ping",
    summary: "Round trip to the daemon (starts one if none answers).",
    async run(ctx) {
      const client = await ctx.client();
      const t0 = process.hrtime.bigint();
      await client.daemon.ping();
      const us = Number(process.hrtime.bigint() - t0) / 1000;
      client.close();
      emit(ctx.out, { pong: true, socket: ctx.config.socket, roundTripUs: Math.round(us) }, () =>
        `pong from ${ctx.config.socket} in ${(us / 1000).toFixed(2)} ms\n`);
    },
  },
  {
    words: ["health"],
    usage: "agentstate health [--json]",
    summary: "Nagios-style health check: exit 0 OK, 1 WARNING, 2 CRITICAL (also: no daemon answers), 3 UNKNOWN. Never starts a daemon.",
    async run(ctx) {
      let health: Health;
      try {
        const client = await ctx.client({ autostart: false });
        health = await client.daemon.health();
        client.close();
      } catch (err) {
        // A daemon that does not answer (none listening, or no reply in time) is the outage a
        // monitor must page for: CRITICAL. UNKNOWN is kept for a check that could not run at all.
        const down = err instanceof DaemonUnreachableError || err instanceof RequestTimeoutError || err instanceof ConnectionLostError;
        const reason = err instanceof Error ? err.message : String(err);
        const [label, code] = down ? (["CRITICAL", 2] as const) : (["UNKNOWN", 3] as const);
        emit(ctx.out, { status: down ? "fail" : "unknown", error: reason }, () => `AGENTSTATE ${label} - ${escapeControls(reason)}\n`);
        return code;
      }
      const [label, code] = NAGIOS[health.status];
      emit(ctx.out, health, () => {
        const checks = Object.entries(health.checks).map(([name, c]) => `${name} ${c.status}${c.message ? ` (${escapeControls(c.message)})` : ""}`);
        const perf = [`uptime=${health.uptime.toFixed(0)}s`];
        const latency = health.checks.backend?.latencyMs;
        if (typeof latency === "number") perf.push(`backend_latency=${latency.toFixed(1)}ms`);
        const loop = health.checks.eventLoop?.p99DelayMs;
        if (typeof loop === "number") perf.push(`event_loop_p99=${loop}ms`);
        return `AGENTSTATE ${label} - ${checks.join(", ")} | ${perf.join(" ")}\n`;
      });
      return code;
    },
  },
  {
    words: ["config"],
    usage: "agentstate config [--json]",
    summary: "Print the resolved configuration (secrets redacted) and where each value came from.",
    async run(ctx) {
      const { sources } = resolveConfig({ flags: ctx.options as Record<string, string | boolean | undefined> });
      const config = redactConfig(ctx.config);
      emit(ctx.out, { config, sources }, () =>
        Object.entries(config)
          .map(([k, v]) => `${k.padEnd(18)} ${typeof v === "string" ? v : JSON.stringify(v)}  (${sources[k as keyof typeof sources] ?? "default"})`)
          .join("\n") + "\n");
    },
  },
];
