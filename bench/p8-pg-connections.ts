/**
 * P8 (SPEC §10): Postgres connections held while 100 short-lived CLI processes run at once; target
 * ≤ the pool size (default 10). A daemon with the default pool on a fresh database of the run's
 * throwaway Postgres holds SESSIONS sessions; then CLIS processes `node bin/agentstate.js sessions
 * list --json` are spawned at once. Throughout, a separate monitoring connection samples
 * pg_stat_activity for the database every SAMPLE_MS (excluding itself), split into the daemon's
 * LISTEN connection (one, by design, outside the pool) and the rest (the pool); a client connection
 * samples daemon.stats for how many CLI connections the daemon held at once.
 *
 * On a small machine 100 Node processes cannot all start at once, so the daemon sees far fewer than
 * 100 at a time; `P8.burst` therefore also opens 100 connections from this process and sends
 * `sessions.list` on all of them in the same instant, BURST_ROUNDS times: the pool's bound under
 * the worst concurrency one host can produce.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { connect } from "../src/client/index.js";
import { round, settings, sleep, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { freshPostgresDatabase } from "./servers.js";

const CLIS = 100;
const SESSIONS = 200;
const POOL = 10;
const SAMPLE_MS = 5;
const BURST_ROUNDS = 5;

interface Sample {
  t: number;
  total: number;
  listen: number;
}

function runCli(socket: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number; sessions: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(settings.defaultRoot, "bin", "agentstate.js"), "sessions", "list", "--json", "--socket", socket, "--no-autostart"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.resume();
  return new Promise((resolve) => {
    child.once("close", (code) => {
      let sessions = -1;
      try {
        const parsed = JSON.parse(out) as { items?: unknown[] } | unknown[];
        sessions = Array.isArray(parsed) ? parsed.length : (parsed.items?.length ?? -1);
      } catch {
        // counted as a failure below
      }
      resolve({ code, ms: performance.now() - t0, sessions });
    });
  });
}

export const p8: BenchModule = {
  id: "P8",
  title: "Postgres connections with 100 CLI processes at once",
  async run(): Promise<BenchResult[]> {
    const url = await freshPostgresDatabase(`bench_p8_${process.pid}`);
    const daemon = await startBenchDaemon(["--backend", "postgres", "--url", url]);
    const monitor = new pg.Client({ connectionString: url });
    await monitor.connect();
    const client = await connect({ socket: daemon.socket });
    const home = mkdtempSync(join(tmpdir(), "agentstate-p8-"));
    try {
      for (let i = 0; i < SESSIONS; i++) await client.sessions.create({ id: `p8-${i}`, title: `session ${i}` });
      const samples: Sample[] = [];
      const daemonConnections: number[] = [];
      let sampling = true;
      const t0 = performance.now();
      const pgSampler = (async () => {
        while (sampling) {
          const r = await monitor.query<{ total: string; listen: string }>(
            "SELECT count(*) AS total, count(*) FILTER (WHERE query ILIKE 'LISTEN%') AS listen FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
          );
          samples.push({ t: round(performance.now() - t0, 0), total: Number(r.rows[0].total), listen: Number(r.rows[0].listen) });
          await sleep(SAMPLE_MS);
        }
      })();
      const statsSampler = (async () => {
        while (sampling) {
          const s = await client.daemon.stats();
          daemonConnections.push(s.connections - 1); // minus this sampling connection
          await sleep(20);
        }
      })();
      await sleep(300);
      const before = samples.length;
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, "config") };
      const burstStart = performance.now();
      const runs = await Promise.all(Array.from({ length: CLIS }, () => runCli(daemon.socket, env)));
      const burstMs = round(performance.now() - burstStart, 0);
      const burstEnd = samples.length;
      await sleep(500);
      sampling = false;
      await Promise.all([pgSampler, statsSampler]);

      const cliSamplesEnd = samples.length;

      // P8.burst: 100 connections from this process, one sessions.list on each at the same instant.
      sampling = true;
      const burstSampler = (async () => {
        while (sampling) {
          const r = await monitor.query<{ total: string; listen: string }>(
            "SELECT count(*) AS total, count(*) FILTER (WHERE query ILIKE 'LISTEN%') AS listen FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
          );
          samples.push({ t: round(performance.now() - t0, 0), total: Number(r.rows[0].total), listen: Number(r.rows[0].listen) });
          await sleep(SAMPLE_MS);
        }
      })();
      const many = await Promise.all(Array.from({ length: CLIS }, () => connect({ socket: daemon.socket, timeoutMs: 60_000 })));
      const burstSamplesStart = samples.length;
      const burstT0 = performance.now();
      let burstFailed = 0;
      for (let round_ = 0; round_ < BURST_ROUNDS; round_++) {
        const pages = await Promise.allSettled(many.map((c) => c.sessions.list({})));
        burstFailed += pages.filter((p) => p.status === "rejected").length;
      }
      const burstRoundsMs = round(performance.now() - burstT0, 0);
      for (const c of many) c.close();
      await sleep(200);
      sampling = false;
      await burstSampler;
      const burstSamples = samples.slice(burstSamplesStart);
      const burstMaxTotal = Math.max(...burstSamples.map((s) => s.total));
      const burstMaxPool = Math.max(...burstSamples.map((s) => s.total - s.listen));

      const failed = runs.filter((r) => r.code !== 0 || r.sessions < 1).length;
      const during = samples.slice(before, Math.max(burstEnd + 1, cliSamplesEnd));
      const idle = samples.slice(0, before);
      const maxTotal = Math.max(...during.map((s) => s.total));
      const maxPool = Math.max(...during.map((s) => s.total - s.listen));
      const listen = Math.max(...samples.map((s) => s.listen));
      const idleTotal = Math.max(...idle.map((s) => s.total));
      const cliMs = runs.map((r) => r.ms).sort((a, b) => a - b);
      const raw = {
        clis: CLIS,
        failedClis: failed,
        burstMs,
        cliMsP50: round(cliMs[Math.floor(CLIS / 2)], 0),
        cliMsMax: round(cliMs[CLIS - 1], 0),
        maxHeldIncludingListen: maxTotal,
        maxHeldByPool: maxPool,
        listenConnections: listen,
        heldBeforeBurst: idleTotal,
        maxConcurrentCliConnectionsAtDaemon: Math.max(...daemonConnections),
        pgSamples: during.length,
        sampleEveryMs: SAMPLE_MS,
        poolSize: POOL,
        timeline: samples.slice(0, cliSamplesEnd).filter((s, i) => i === 0 || s.total !== samples[i - 1].total),
      };
      const burstRaw = {
        connections: CLIS,
        rounds: BURST_ROUNDS,
        roundsMs: burstRoundsMs,
        failed: burstFailed,
        maxHeldIncludingListen: burstMaxTotal,
        maxHeldByPool: burstMaxPool,
        pgSamples: burstSamples.length,
        poolSize: POOL,
      };
      return [
        {
          id: "P8",
          what: `Postgres connections held while ${CLIS} \`agentstate sessions list --json\` processes run at once (default pool ${POOL}; sampled every ${SAMPLE_MS} ms)`,
          target: `≤ ${POOL} (pool size)`,
          measured: `max ${maxPool} by the pool + ${listen} LISTEN = ${maxTotal} in all (${idleTotal} before the burst); ${raw.maxConcurrentCliConnectionsAtDaemon} CLI connections at once at the daemon; burst ${burstMs} ms; ${failed} CLI failures`,
          ratio: round(POOL / Math.max(maxPool, 1), 2),
          pass: maxPool <= POOL && failed === 0,
          raw,
        },
        {
          id: "P8.burst",
          what: `same, ${CLIS} connections from one process each sending sessions.list at the same instant, ${BURST_ROUNDS} rounds (worst case)`,
          target: `≤ ${POOL} (pool size)`,
          measured: `max ${burstMaxPool} by the pool + ${burstMaxTotal - burstMaxPool} LISTEN = ${burstMaxTotal} in all; ${BURST_ROUNDS} × ${CLIS} calls in ${burstRoundsMs} ms; ${burstFailed} failures`,
          ratio: round(POOL / Math.max(burstMaxPool, 1), 2),
          pass: burstMaxPool <= POOL && burstFailed === 0,
          raw: burstRaw,
        },
      ];
    } finally {
      client.close();
      await monitor.end();
      await daemon.stop();
      rmSync(home, { recursive: true, force: true });
    }
  },
};
