/**
 * status, stop, restart: for the daemon the CLI talks to (its socket), found by asking it for its
 * pid (daemon.stats), so nobody needs to know where the lock file is. stop sends SIGTERM (the daemon
 * drains, flushes and exits 0) and waits for the process to be gone; restart then starts one the
 * way autostart does, with this command line's settings.
 */
import type { Client } from "../../index.js";
import { DaemonUnreachableError } from "../../errors.js";
import type { CliContext, Command } from "../context.js";
import { emit } from "../output.js";

/** Beyond the daemon's own drain timeout, for flushing and closing the backend. */
const STOP_GRACE_MS = 10_000;

async function reach(ctx: CliContext): Promise<Client | undefined> {
  try {
    return await ctx.client({ autostart: false });
  } catch (err) {
    if (err instanceof DaemonUnreachableError) return undefined;
    throw err;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** SIGTERM, then wait for the process to exit. Returns an error text, or undefined when it stopped. */
async function stopPid(ctx: CliContext, pid: number): Promise<string | undefined> {
  try {
    process.kill(pid, "SIGTERM");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return undefined;
    return code === "EPERM"
      ? `not allowed to signal the daemon (pid ${pid}, another user's?); if systemd runs it: systemctl stop agentstate`
      : `cannot signal pid ${pid}: ${(err as Error).message}`;
  }
  const deadline = Date.now() + ctx.config.drainTimeoutMs + STOP_GRACE_MS;
  while (alive(pid)) {
    if (Date.now() > deadline) return `the daemon (pid ${pid}) is still running ${Math.round((ctx.config.drainTimeoutMs + STOP_GRACE_MS) / 1000)} s after SIGTERM`;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

interface Status {
  running: boolean;
  socket: string;
  pid?: number;
  version?: string;
  backend?: string;
  uptime?: number;
  health?: string;
}

async function status(ctx: CliContext): Promise<Status> {
  const client = await reach(ctx);
  if (!client) return { running: false, socket: ctx.config.socket };
  try {
    const [stats, version, health] = await Promise.all([client.daemon.stats(), client.daemon.version(), client.daemon.health()]);
    return { running: true, socket: ctx.config.socket, pid: stats.pid, version: version.version, backend: version.backend, uptime: stats.uptime, health: health.status };
  } finally {
    client.close();
  }
}

const describe = (s: Status): string =>
  s.running
    ? `running: pid ${s.pid}, version ${s.version}, ${s.backend} backend, up ${Math.round(s.uptime ?? 0)} s, health ${s.health}, socket ${s.socket}\n`
    : `not running: no daemon answers on ${s.socket}\n`;

/** Stops the daemon if one answers; prints what happened. Returns the exit code. */
async function stop(ctx: CliContext, quiet = false): Promise<number> {
  const s = await status(ctx);
  if (!s.running || s.pid === undefined) {
    if (!quiet) emit(ctx.out, { stopped: false, running: false, socket: s.socket }, () => `no daemon answers on ${s.socket}; nothing to stop\n`);
    return 0;
  }
  const problem = await stopPid(ctx, s.pid);
  if (problem !== undefined) {
    ctx.out.err(`agentstate: ${problem}\n`);
    return 1;
  }
  if (!quiet) emit(ctx.out, { stopped: true, pid: s.pid, socket: s.socket }, () => `stopped the daemon (pid ${s.pid}) on ${s.socket}\n`);
  return 0;
}

export const lifecycleCommands: Command[] = [
  {
    words: ["status"],
    usage: "agentstate status [--json]",
    summary: "Whether a daemon answers on the socket: pid, version, backend, uptime, health. Exit 0 running, 3 not. Never starts one.",
    async run(ctx) {
      const s = await status(ctx);
      emit(ctx.out, s, () => describe(s));
      return s.running ? 0 : 3;
    },
  },
  {
    words: ["stop"],
    usage: "agentstate stop [--json]",
    summary: "Stop the daemon on the socket (SIGTERM: it drains and exits) and wait until it is gone. Exit 0 also when none runs.",
    details: "A daemon that systemd runs is better stopped with systemctl (a socket unit would start it again on the next connection).",
    run: (ctx) => stop(ctx),
  },
  {
    words: ["restart"],
    usage: "agentstate restart [daemon settings] [--json]",
    summary: "Stop the daemon on the socket, if any, and start one in the background with this command line's settings.",
    async run(ctx) {
      const code = await stop(ctx, true);
      if (code !== 0) return code;
      const client = await ctx.client({ autostart: true });
      client.close();
      const s = await status(ctx);
      emit(ctx.out, s, () => `restarted; ${describe(s)}`);
      return s.running ? 0 : 1;
    },
  },
];
