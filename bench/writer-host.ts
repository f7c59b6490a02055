/**
 * P2's and P2s's writer process. It hosts `writers` simulated agents, each writing one ~200-byte
 * message at a time, each write acknowledged before its next (one write in flight per agent):
 *
 *   node dist/bench/writer-host.js daemon <socket> <sessionPrefix> <writers> <warmupMs> <durationMs>
 *   node dist/bench/writer-host.js sqlite <file> <sessionPrefix> <writers> <warmupMs> <durationMs>
 *
 * `daemon`: each writer is its own connection (the typed client, its own socket) and its own
 * session, calling `messages.append` with one message. Writers in one process share nothing but the
 * event loop; the daemon sees independent connections with one request each, as from separate
 * processes.
 *
 * `sqlite`: each writer inserts the row the sqlite backend stores — `(session_id, seq, data)`, data
 * the stamped message JSON — straight into one shared SQLite file with its own connection (WAL,
 * synchronous=FULL, busy_timeout 5 s, one transaction per row); SQLITE_BUSY is counted and the row
 * retried. better-sqlite3 blocks its thread, so with more than one writer each runs on its own
 * worker thread with its own connection: SQLite's locks (WAL write lock, busy handler sleeping)
 * behave between connections of one process as between processes.
 *
 * Sets up, prints `ready`, waits for `go` on stdin, writes for warmupMs uncounted (the daemon's JIT
 * warms up, as in a long-running daemon), then for durationMs counted, and prints one JSON line:
 * { writes, errors, busy, seconds, latencyUs (every write's), perWriter, errorSamples, cpu } — cpu
 * over the counted window, the process's user and system seconds.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { connect } from "../src/client/index.js";

interface WriterOutcome {
  writes: number;
  errors: number;
  busy: number;
  seconds: number;
  samples: number[];
  errorSamples: string[];
  /** The process's CPU (process.cpuUsage(), µs) when this writer's counted window began. */
  cpuAtStart: { user: number; system: number };
}

/** A message whose JSON is about 200 bytes, like a short chat turn. */
function message(i: number): { role: string; content: string } {
  const head = `turn ${i}: `;
  return { role: "assistant", content: head + "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(4).slice(0, 200 - 35 - head.length) };
}

interface Timing {
  warmupMs: number;
  durationMs: number;
}

async function loop(timing: Timing, write: (seq: number) => Promise<void> | void, isBusy: (err: unknown) => boolean): Promise<WriterOutcome> {
  const samples: number[] = [];
  let seq = 0;
  let writes = 0;
  let errors = 0;
  let busy = 0;
  const errorSamples: string[] = [];
  const fail = (err: unknown) => {
    if (isBusy(err)) busy++;
    else errors++;
    if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err));
  };
  const warmEnd = performance.now() + timing.warmupMs;
  while (performance.now() < warmEnd) {
    try {
      await write(seq + 1);
      seq++;
    } catch (err) {
      fail(err); // errors count whenever they happen: the target is zero
    }
  }
  const cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + timing.durationMs;
  let now = t0;
  while (now < end) {
    const started = now;
    try {
      await write(seq + 1);
      seq++;
      now = performance.now();
      samples.push((now - started) * 1000);
      writes++;
    } catch (err) {
      now = performance.now();
      fail(err);
    }
  }
  return { writes, errors, busy, seconds: (now - t0) / 1000, samples, errorSamples, cpuAtStart };
}

const isSqliteBusy = (err: unknown) => typeof (err as { code?: unknown }).code === "string" && (err as { code: string }).code.startsWith("SQLITE_BUSY");

/** One direct-SQLite writer on the calling thread: returns a function that runs it once started. */
function sqliteWriter(file: string, sessionId: string): (timing: Timing) => Promise<WriterOutcome> {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  const insert = db.prepare("INSERT INTO messages (session_id, seq, data) VALUES (?, ?, ?)");
  return async (timing) => {
    const outcome = await loop(timing, (seq) => {
      // Retried on SQLITE_BUSY by loop() with the same seq: the row is written once or not at all.
      insert.run(sessionId, seq, JSON.stringify({ ...message(seq), seq, createdAt: new Date().toISOString() }));
    }, isSqliteBusy);
    db.close();
    return outcome;
  };
}

interface WorkerInput {
  file: string;
  sessionId: string;
}

if (!isMainThread) {
  const { file, sessionId } = workerData as WorkerInput;
  const port = parentPort;
  if (!port) throw new Error("writer thread without a parent port");
  const run = sqliteWriter(file, sessionId);
  port.once("message", (timing: Timing) => {
    void run(timing).then((o) => port.postMessage(o));
  });
  port.postMessage("ready");
} else {
  await main();
}

/** Starts a writer thread; resolves once it is set up, with the function that runs it. */
function sqliteThread(file: string, sessionId: string): Promise<(timing: Timing) => Promise<WriterOutcome>> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { file, sessionId } satisfies WorkerInput });
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", () =>
      resolve(
        (timing) =>
          new Promise<WriterOutcome>((done, fail) => {
            worker.once("message", (o: WriterOutcome) => {
              done(o);
              void worker.terminate();
            });
            worker.once("error", fail);
            worker.postMessage(timing);
          }),
      ),
    );
  });
}

async function daemonWriter(socket: string, sessionId: string): Promise<(timing: Timing) => Promise<WriterOutcome>> {
  const client = await connect({ socket });
  await client.sessions.create({ id: sessionId });
  return async (timing) => {
    const outcome = await loop(timing, async (i) => {
      await client.messages.append({ sessionId, messages: [message(i)] });
    }, () => false);
    client.close();
    return outcome;
  };
}

async function main(): Promise<void> {
  const [mode, target, prefix, writersArg, warmupArg, durationArg] = process.argv.slice(2);
  const writers = Number(writersArg);
  const timing: Timing = { warmupMs: Number(warmupArg), durationMs: Number(durationArg) };
  if ((mode !== "daemon" && mode !== "sqlite") || !(writers >= 1) || !(timing.warmupMs >= 0) || !(timing.durationMs > 0)) {
    process.stderr.write("usage: writer-host daemon|sqlite <socket|file> <sessionPrefix> <writers> <warmupMs> <durationMs>\n");
    process.exit(2);
  }
  const ids = Array.from({ length: writers }, (_, i) => `${prefix}-${i}`);
  const runs = await Promise.all(
    ids.map((id) =>
      mode === "daemon" ? daemonWriter(target, id)
      : writers === 1 ? Promise.resolve(sqliteWriter(target, id))
      : sqliteThread(target, id),
    ),
  );
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    process.stdin.setEncoding("utf8").on("data", (s: string) => s.includes("go") && resolve());
  });
  const outcomes = await Promise.all(runs.map((run) => run(timing)));
  // Over the counted window only (from the first writer's start of it), as the writes are.
  const end = process.cpuUsage();
  const cpu0 = outcomes.map((o) => o.cpuAtStart).reduce((a, b) => (a.user + a.system <= b.user + b.system ? a : b));
  const cpu = { user: end.user - cpu0.user, system: end.system - cpu0.system };
  process.stdout.write(
    JSON.stringify({
      writes: outcomes.reduce((n, o) => n + o.writes, 0),
      errors: outcomes.reduce((n, o) => n + o.errors, 0),
      busy: outcomes.reduce((n, o) => n + o.busy, 0),
      seconds: Math.max(...outcomes.map((o) => o.seconds)),
      // Whole µs, so the parent can take percentiles over every writer of every host.
      latencyUs: outcomes.flatMap((o) => o.samples.map((x) => Math.round(x))),
      perWriter: outcomes.map((o) => o.writes),
      errorSamples: outcomes.flatMap((o) => o.errorSamples).slice(0, 5),
      cpu: { user: cpu.user / 1e6, system: cpu.system / 1e6 },
    }) + "\n",
  );
  // stdin stays open (the parent holds it); leave explicitly once the result is out.
  process.exit(0);
}
