/**
 * Four processes run one LangGraph graph on one set of threads, all through one agentstate daemon:
 * no process opens a database, so there is no "database is locked", whatever the backend.
 *
 *   npm run build
 *   node dist/examples/langgraph-four-processes.js                    # starts its own daemon (jsonl) in a temp dir
 *   node dist/examples/langgraph-four-processes.js --backend sqlite   # … on another backend
 *   node dist/examples/langgraph-four-processes.js --socket /run/user/1000/agentstate/agentstate.sock
 *
 * While it runs, `agentstate events tail checkpoints --socket <socket>` (the command is printed)
 * shows every checkpoint and pending write as it is stored. The script itself subscribes to the
 * `checkpoints` topic too, prints the first events, and at the end each thread's state, how many
 * checkpoints each thread holds, and how many times two processes advanced a thread from the same
 * checkpoint (a fork: LangGraph's own semantics for concurrent runs on one thread; the newest
 * checkpoint wins). It exits 1 if any invocation failed.
 *
 * Needs the backends' checkpoint storage (issue 18, phase 2); before that every call answers
 * UNSUPPORTED. See docs/adapters.md.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { connect, type Client } from "agentstate";
import { AgentstateSaver } from "agentstate/langgraph";

const PROCESSES = 4;
const SELF = fileURLToPath(import.meta.url);

const { values } = parseArgs({
  options: {
    socket: { type: "string" },
    backend: { type: "string", default: "jsonl" },
    threads: { type: "string", default: "3" },
    steps: { type: "string", default: "25" },
    worker: { type: "string" },
    namespace: { type: "string" },
  },
});
const THREADS = Number(values.threads);
const STEPS = Number(values.steps);

const State = Annotation.Root({
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  steps: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
});

/** Two nodes, so each invocation stores an input checkpoint, one per node, and the nodes' pending writes. */
function buildGraph(checkpointer: AgentstateSaver) {
  return new StateGraph(State)
    .addNode("plan", () => ({ steps: 1 }))
    .addNode("act", (s) => ({ log: [`act after ${s.log.length} entries`] }))
    .addEdge(START, "plan")
    .addEdge("plan", "act")
    .addEdge("act", END)
    .compile({ checkpointer });
}

const threadId = (i: number) => `demo-thread-${i}`;

async function worker(socket: string, namespace: string, index: number): Promise<void> {
  const saver = new AgentstateSaver({ socket, namespace });
  const graph = buildGraph(saver);
  let invocations = 0;
  const errors: string[] = [];
  for (let n = 0; n < STEPS; n++) {
    const thread = threadId((index + n) % THREADS);
    try {
      await graph.invoke({ log: [`process ${index} step ${n}`] }, { configurable: { thread_id: thread } });
      invocations++;
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  await saver.close();
  process.stdout.write(JSON.stringify({ index, invocations, errors: errors.length, samples: errors.slice(0, 3) }) + "\n");
}

/** A daemon of our own on a temporary socket, for when none was named. */
async function startDaemon(backend: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-example-"));
  const socket = join(dir, "agentstate.sock");
  const bin = fileURLToPath(new URL("../../bin/agentstated.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "--socket", socket, "--backend", backend, "--data-dir", join(dir, "data")], { stdio: "ignore" });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const c = await connect({ socket, connectTimeoutMs: 200 });
      await c.daemon.ping();
      c.close();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    socket,
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function runWorker(socket: string, namespace: string, index: number): Promise<{ invocations: number; errors: number; samples: string[] }> {
  const args = [SELF, "--worker", String(index), "--socket", socket, "--namespace", namespace, "--threads", String(THREADS), "--steps", String(STEPS)];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  return new Promise((resolve, reject) =>
    child.once("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}")) : reject(new Error(`worker ${index} exited ${code}`)))),
  );
}

async function summarize(client: Client, saver: AgentstateSaver): Promise<void> {
  for (let i = 0; i < THREADS; i++) {
    const thread = threadId(i);
    const state = await buildGraph(saver).getState({ configurable: { thread_id: thread } });
    const children = new Map<string, number>();
    let count = 0;
    for await (const t of saver.list({ configurable: { thread_id: thread, checkpoint_ns: "" } })) {
      count++;
      const parent = t.parentConfig?.configurable?.checkpoint_id as string | undefined;
      if (parent) children.set(parent, (children.get(parent) ?? 0) + 1);
    }
    const forks = [...children.values()].filter((n) => n > 1).length;
    const values = state.values as { log?: string[]; steps?: number };
    // Each invocation adds 1 to steps; a fork's sibling branch is not in the latest state.
    process.stdout.write(`${thread}: ${count} checkpoints, ${forks} forks; latest state: steps=${values.steps ?? 0}, ${values.log?.length ?? 0} log entries\n`);
  }
  client.close();
}

if (values.worker !== undefined) {
  await worker(values.socket as string, values.namespace as string, Number(values.worker));
} else {
  const own = values.socket === undefined ? await startDaemon(values.backend) : undefined;
  const socket = own?.socket ?? values.socket;
  if (socket === undefined) throw new Error("no socket");
  const namespace = values.namespace ?? `example-${randomBytes(3).toString("hex")}`;
  process.stdout.write(`daemon: ${socket}${own ? ` (${values.backend}, started for this run)` : ""}; namespace ${namespace}\n`);
  process.stdout.write(`watch it: agentstate events tail checkpoints --socket ${socket}\n\n`);
  const client = await connect({ socket });
  const counts = new Map<string, number>();
  let shown = 0;
  const sub = await client.events.subscribe(["checkpoints"], (m) => {
    if (m.type !== "change") return;
    counts.set(m.change.type, (counts.get(m.change.type) ?? 0) + 1);
    if (shown++ < 6) process.stdout.write(`  event ${m.change.cursor}  ${m.change.type}  ${m.change.id}  ${JSON.stringify(m.change.data)}\n`);
  });
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => runWorker(socket, namespace, i)));
  const seconds = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 300)); // let the last events arrive
  await sub.unsubscribe();
  const invocations = results.reduce((n, r) => n + r.invocations, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  process.stdout.write(`\n${PROCESSES} processes, ${invocations} invocations on ${THREADS} threads in ${seconds.toFixed(1)} s; ${errors} errors\n`);
  for (const r of results) for (const s of r.samples) process.stdout.write(`  error: ${s}\n`);
  process.stdout.write(`events seen: ${[...counts].map(([t, n]) => `${t} ${n}`).join(", ") || "none"}\n`);
  const saver = new AgentstateSaver({ client, namespace });
  if (errors === 0) await summarize(client, saver);
  else client.close();
  await own?.stop();
  process.exitCode = errors === 0 ? 0 : 1;
}
