/**
 * P10's worker process, one per simulated graph runner:
 *
 *   node dist/bench/checkpoint-client.js adapter <socket> <worker> <threads> <durationMs>
 *   node dist/bench/checkpoint-client.js sqlite <file> <worker> <threads> <durationMs>
 *
 * Sets up its checkpointer (`adapter`: AgentstateSaver over the daemon socket, namespace "p10";
 * `sqlite`: LangGraph's SqliteSaver.fromConnString on the shared file, exactly as shipped: WAL, the
 * driver's default 5 s busy timeout), prints `ready`, waits for `go`, then loops for durationMs over
 * the shared thread set `p10-0 … p10-<threads-1>` (worker w starts at thread w, then takes the next):
 * one `put` of a checkpoint whose parent is the last one this worker stored on that thread, then a
 * `getTuple` of it — one round trip as a graph step does it. The checkpoint carries a ~1 KB messages
 * channel that changes every step and a counter. SQLITE_BUSY / "database is locked" errors are
 * counted apart from other errors; a failed step is not retried (the next step goes on).
 * Prints one JSON line: { steps, busy, errors, seconds, latency (µs), errorSamples }.
 */
import type { BaseCheckpointSaver, Checkpoint } from "@langchain/langgraph-checkpoint";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { summarize } from "./stats.js";

const [mode, target, workerArg, threadsArg, durationArg] = process.argv.slice(2);
const WORKER = Number(workerArg);
const THREADS = Number(threadsArg);
const DURATION_MS = Number(durationArg);
const LATENCY_CAP = 1_000_000;

async function saver(): Promise<{ saver: BaseCheckpointSaver; close: () => Promise<void> }> {
  if (mode === "adapter") {
    const { AgentstateSaver } = await import("../src/adapters/langgraph/index.js");
    const s = new AgentstateSaver({ socket: target, namespace: "p10" });
    return { saver: s, close: () => s.close() };
  }
  if (mode === "sqlite") {
    const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
    const s = SqliteSaver.fromConnString(target);
    await s.getTuple({ configurable: { thread_id: "p10-warmup" } }); // runs its setup (pragma, tables, statements)
    return {
      saver: s,
      close: async () => {
        s.db.close();
      },
    };
  }
  process.stderr.write("usage: checkpoint-client adapter|sqlite <socket|file> <worker> <threads> <durationMs>\n");
  process.exit(2);
}

const waitForGo = () =>
  new Promise<void>((resolve) => {
    process.stdin.setEncoding("utf8").on("data", (s: string) => s.includes("go") && resolve());
  });

const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return (typeof code === "string" && code.startsWith("SQLITE_BUSY")) || /database is locked/i.test(message);
};

const TEXT = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(18);

function nextCheckpoint(step: number): { checkpoint: Checkpoint; versions: Record<string, number> } {
  const base = emptyCheckpoint();
  const versions = { messages: step, counter: step };
  const checkpoint: Checkpoint = {
    ...base,
    // uuid6 with the worker as clock sequence: ids stay unique across the 8 processes.
    id: uuid6(WORKER),
    channel_values: { messages: [{ role: "assistant", content: `step ${step}: ${TEXT}` }], counter: step },
    channel_versions: versions,
    versions_seen: { agent: { messages: step - 1 } },
  };
  return { checkpoint, versions };
}

const { saver: cp, close } = await saver();
const last = new Map<string, string | undefined>();
process.stdout.write("ready\n");
await waitForGo();

const samples = new Float64Array(LATENCY_CAP);
let steps = 0;
let busy = 0;
let errors = 0;
const errorSamples: string[] = [];
const t0 = performance.now();
const end = t0 + DURATION_MS;
let now = t0;
for (let i = 0; now < end; i++) {
  const thread = `p10-${(WORKER + i) % THREADS}`;
  const started = now;
  try {
    const { checkpoint, versions } = nextCheckpoint(i + 1);
    const config = await cp.put(
      { configurable: { thread_id: thread, checkpoint_ns: "", checkpoint_id: last.get(thread) } },
      checkpoint,
      { source: "loop", step: i, parents: {} },
      versions,
    );
    const tuple = await cp.getTuple(config);
    if (tuple?.checkpoint.id !== checkpoint.id) throw new Error(`getTuple returned ${tuple?.checkpoint.id ?? "nothing"} for ${checkpoint.id}`);
    last.set(thread, checkpoint.id);
    now = performance.now();
    if (steps < LATENCY_CAP) samples[steps] = (now - started) * 1000;
    steps++;
  } catch (err) {
    now = performance.now();
    if (isBusy(err)) busy++;
    else errors++;
    if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err));
  }
}
const seconds = (now - t0) / 1000;
await close();
process.stdout.write(JSON.stringify({ steps, busy, errors, seconds, latency: summarize(samples.subarray(0, Math.min(steps, LATENCY_CAP))), errorSamples }) + "\n");
