/**
 * P7 (SPEC §10): daemon RSS idle, and after storing 1,000,000 messages in jsonl; ≤ 100 MB idle,
 * growth ≤ 50 MB. A fresh jsonl daemon serves a few requests of each kind, rests IDLE_PAUSE_MS and
 * reports `daemon.stats` (rssBytes, heapUsedBytes) — the idle figure. Then CONNECTIONS client
 * connections store SESSIONS × PER_SESSION messages (~200 B each) with `messages.append` calls of
 * BATCH messages, every session on one connection; after a pause the stats are read again (and
 * again after a longer one): growth is the last reading minus the idle one. /proc/<pid>/status
 * splits the RSS into anonymous memory (heap, buffers) and file pages (code, mapped files).
 *
 * The daemon runs with its production node flags (src/config/node-flags.ts: a cap on V8's
 * semi-spaces); `P7.uncapped` repeats the whole measurement without them (the young generation then
 * grows to 16 MB per semi-space under a high allocation rate): a comparison that shows where the
 * growth goes.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { connect, type Client } from "../src/client/index.js";
import { benchMessages, load, round, sleep, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { DAEMON_NODE_FLAGS } from "../src/config/node-flags.js";

const SESSIONS = 1_000;
const PER_SESSION = 1_000;
const BATCH = 500;
const CONNECTIONS = 4;
const IDLE_PAUSE_MS = 3_000;
const AFTER_PAUSES_MS = [3_000, 12_000];
const IDLE_TARGET_MB = 100;
const GROWTH_TARGET_MB = 50;

const MB = 1024 * 1024;
const mb = (bytes: number) => round(bytes / MB, 1);

interface Reading {
  at: string;
  rssMB: number;
  heapUsedMB: number;
  /** From /proc/<pid>/status: RssAnon (heap, buffers, stacks), RssFile (code and mapped files), in MB. */
  rssAnonMB?: number;
  rssFileMB?: number;
}

function procStatus(pid: number): Pick<Reading, "rssAnonMB" | "rssFileMB"> {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(text)?.[1] ?? Number.NaN);
    return { rssAnonMB: round(kb("RssAnon") / 1024, 1), rssFileMB: round(kb("RssFile") / 1024, 1) };
  } catch {
    return {};
  }
}

async function reading(client: Client, pid: number, at: string): Promise<Reading> {
  const s = await client.daemon.stats();
  return { at, rssMB: mb(s.rssBytes), heapUsedMB: mb(s.heapUsedBytes), ...procStatus(pid) };
}

function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? diskBytes(p) : statSync(p).size;
  }
  return total;
}

interface Measured {
  idle: Reading;
  last: Reading;
  growth: number;
  total: number;
  loadSeconds: number;
  onDisk: number;
  raw: Record<string, unknown>;
}

async function measure(nodeArgs: string[]): Promise<Measured> {
  const daemon = await startBenchDaemon(["--backend", "jsonl"], { nodeArgs });
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect({ socket: daemon.socket, timeoutMs: 120_000 })));
  try {
    const c = clients[0];
    // A few requests of each kind, so the idle figure is of a daemon that has served something.
    await c.daemon.ping();
    await c.daemon.version();
    await c.daemon.health();
    await c.sessions.create({ id: "p7-warm" });
    await c.messages.append({ sessionId: "p7-warm", messages: benchMessages(0, 10) });
    await c.messages.list({ sessionId: "p7-warm", tail: 5 });
    await c.sessions.list({});
    await sleep(IDLE_PAUSE_MS);
    const idle = await reading(c, daemon.pid, `idle, ${IDLE_PAUSE_MS / 1000} s after the warm-up requests`);

    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        for (let s = next++; s < SESSIONS; s = next++) {
          const sessionId = `p7-${String(s).padStart(4, "0")}`;
          for (let i = 0; i < PER_SESSION; i += BATCH) {
            await client.messages.append({ sessionId, messages: benchMessages(i, BATCH), createSession: i === 0 });
          }
          if ((s + 1) % 250 === 0) process.stderr.write(`  P7: ${((s + 1) * PER_SESSION).toLocaleString("en-US")} messages stored\n`);
        }
      }),
    );
    const loadSeconds = round((performance.now() - t0) / 1000, 1);
    const loadAfterLoad = load();
    const after: Reading[] = [];
    let waited = 0;
    for (const pause of AFTER_PAUSES_MS) {
      await sleep(pause - waited);
      waited = pause;
      after.push(await reading(c, daemon.pid, `${pause / 1000} s after the load`));
    }
    const last = after[after.length - 1];
    const growth = round(last.rssMB - idle.rssMB, 1);
    const total = SESSIONS * PER_SESSION;
    const onDisk = mb(diskBytes(daemon.dataDir));
    const raw = { nodeArgs, idle, after, growthMB: growth, heapGrowthMB: round(last.heapUsedMB - idle.heapUsedMB, 1), loadSeconds, messages: total, sessions: SESSIONS, batch: BATCH, connections: CONNECTIONS, dataOnDiskMB: onDisk, loadAvgAfterLoad: loadAfterLoad };
    return { idle, last, growth, total, loadSeconds, onDisk, raw };
  } finally {
    for (const client of clients) client.close();
    await daemon.stop();
  }
}

export const p7: BenchModule = {
  id: "P7",
  title: "daemon RSS idle and after 1,000,000 messages in jsonl",
  async run(): Promise<BenchResult[]> {
    // As the daemon runs in production (bin/agentstated.js, npm start, autostart), then without the flag.
    const { idle, last, growth, total, loadSeconds, onDisk, raw } = await measure([...DAEMON_NODE_FLAGS]);
    const semi = await measure([]);
    return [
      {
        id: "P7.idle",
        what: "daemon RSS idle: fresh jsonl daemon after a few requests (daemon.stats)",
        target: `≤ ${IDLE_TARGET_MB} MB`,
        measured: `RSS ${idle.rssMB} MB (heap used ${idle.heapUsedMB} MB; anon ${idle.rssAnonMB ?? "?"} MB, file ${idle.rssFileMB ?? "?"} MB)`,
        ratio: round(IDLE_TARGET_MB / idle.rssMB, 2),
        pass: idle.rssMB <= IDLE_TARGET_MB,
        raw,
      },
      {
        id: "P7.growth",
        what: `daemon RSS growth after storing ${total.toLocaleString("en-US")} messages in jsonl (${SESSIONS} sessions × ${PER_SESSION}, ${BATCH} per append, ${CONNECTIONS} connections)`,
        target: `≤ ${GROWTH_TARGET_MB} MB`,
        measured: `+${growth} MB → RSS ${last.rssMB} MB (heap used ${last.heapUsedMB} MB); stored in ${loadSeconds} s (${Math.round(total / loadSeconds).toLocaleString("en-US")} msg/s, ${onDisk} MB on disk)`,
        ratio: round(GROWTH_TARGET_MB / Math.max(growth, 0.1), 2),
        pass: growth <= GROWTH_TARGET_MB,
        raw,
      },
      {
        id: "P7.uncapped",
        what: `same, the daemon's node started without ${DAEMON_NODE_FLAGS.join(" ")} (comparison)`,
        target: "",
        measured: `idle RSS ${semi.idle.rssMB} MB; +${semi.growth} MB → RSS ${semi.last.rssMB} MB (heap used ${semi.last.heapUsedMB} MB); stored in ${semi.loadSeconds} s`,
        ratio: null,
        pass: null,
        raw: semi.raw,
      },
    ];
  },
};
