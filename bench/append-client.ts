/**
 * P2's writer process, one per simulated agent:
 *
 *   node dist/bench/append-client.js daemon <socket> <sessionId> <durationMs>
 *   node dist/bench/append-client.js sqlite <file> <sessionId> <durationMs>
 *
 * Sets up (connects and creates its session / opens the database), prints `ready`, waits for `go`
 * on stdin, then writes one ~200-byte message at a time, each acknowledged before the next, for
 * durationMs. `daemon`: `messages.append` through the typed client (one connection, one request in
 * flight). `sqlite`: the same row the sqlite backend stores — `(session_id, seq, data)` with data the
 * stamped message JSON — inserted straight into a shared SQLite file (WAL, synchronous=FULL,
 * busy_timeout 5 s), each insert its own transaction; SQLITE_BUSY is counted and the insert retried.
 * Prints one JSON line: { writes, errors, busy, seconds, latency (µs), errorSamples }.
 */
import Database from "better-sqlite3";
import { connect } from "../src/client/index.js";
import { summarize } from "./stats.js";

const [mode, target, sessionId, durationArg] = process.argv.slice(2);
const DURATION_MS = Number(durationArg);
const LATENCY_CAP = 1_000_000;

/** A message whose JSON is about 200 bytes, like a short chat turn. */
function message(i: number): { role: string; content: string } {
  const head = `turn ${i}: `;
  return { role: "assistant", content: head + "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(4).slice(0, 200 - 35 - head.length) };
}

const waitForGo = () =>
  new Promise<void>((resolve) => {
    process.stdin.setEncoding("utf8").on("data", (s: string) => s.includes("go") && resolve());
  });

interface Outcome {
  writes: number;
  errors: number;
  busy: number;
  seconds: number;
  latency: ReturnType<typeof summarize>;
  errorSamples: string[];
}

async function loop(write: (i: number) => Promise<void> | void, isBusy: (err: unknown) => boolean): Promise<Outcome> {
  const samples = new Float64Array(LATENCY_CAP);
  let writes = 0;
  let errors = 0;
  let busy = 0;
  const errorSamples: string[] = [];
  const t0 = performance.now();
  const end = t0 + DURATION_MS;
  let now = t0;
  while (now < end) {
    const started = now;
    try {
      await write(writes + 1);
      now = performance.now();
      if (writes < LATENCY_CAP) samples[writes] = (now - started) * 1000;
      writes++;
    } catch (err) {
      now = performance.now();
      if (isBusy(err)) busy++;
      else errors++;
      if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err));
    }
  }
  const seconds = (now - t0) / 1000;
  return { writes, errors, busy, seconds, latency: summarize(samples.subarray(0, Math.min(writes, LATENCY_CAP))), errorSamples };
}

let outcome: Outcome;
if (mode === "daemon") {
  const client = await connect({ socket: target });
  await client.sessions.create({ id: sessionId });
  process.stdout.write("ready\n");
  await waitForGo();
  outcome = await loop(async (i) => {
    await client.messages.append({ sessionId, messages: [message(i)] });
  }, () => false);
  client.close();
} else if (mode === "sqlite") {
  const db = new Database(target);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  const insert = db.prepare("INSERT INTO messages (session_id, seq, data) VALUES (?, ?, ?)");
  process.stdout.write("ready\n");
  await waitForGo();
  outcome = await loop((seq) => {
    // Retried on SQLITE_BUSY by loop() with the same seq: the row is written once or not at all.
    insert.run(sessionId, seq, JSON.stringify({ ...message(seq), seq, createdAt: new Date().toISOString() }));
  }, (err) => typeof (err as { code?: unknown }).code === "string" && (err as { code: string }).code.startsWith("SQLITE_BUSY"));
  db.close();
} else {
  process.stderr.write("usage: append-client daemon|sqlite <socket|file> <sessionId> <durationMs>\n");
  process.exit(2);
}
process.stdout.write(JSON.stringify(outcome) + "\n");
