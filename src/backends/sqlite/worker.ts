/**
 * The sqlite writer thread (see threaded.ts): runs a whole SqliteBackend — core operations, group
 * commit, COMMIT and its fsync — so none of it blocks the daemon's event loop. Calls arrive in
 * batches (one message per turn of the daemon's loop); calls that arrive while a COMMIT blocks this
 * thread queue up and join the next transaction batch. Replies, change-log wake-ups and log lines
 * go back together, one message per turn of this thread.
 *
 * Time: every call carries the daemon's clock reading and timestamps use the latest one received
 * (tests run controllable clocks; in production it is the moment the request was handed over).
 */
import { parentPort, workerData } from "node:worker_threads";
import { isAgentStateError } from "../../domain/errors.js";
import { SqliteBackend, type SqliteOptions } from "./index.js";
import type { Call, Reply, ToWorker, WorkerData } from "./threaded.js";

const port = parentPort;
if (!port) throw new Error("sqlite/worker.js runs only as a worker thread");

let latestNow = Date.now();
let outbox: Reply[] = [];
const send = (r: Reply) => {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(r);
};
function flush(): void {
  const batch = outbox;
  outbox = [];
  if (batch.length > 0) port?.postMessage(batch);
}

const data = workerData as WorkerData;
const opts: SqliteOptions = {
  ...data.opts,
  now: () => new Date(latestNow),
  log: {
    warn: (message, meta) => send({ type: "log", level: "warn", message, meta }),
    info: (message, meta) => send({ type: "log", level: "info", message, meta }),
  },
  onMigration: (m) => send({ type: "migration", migration: { version: m.version, name: m.name } }),
};
const backend = new SqliteBackend(opts);
let nudged = false;
backend.storage.changes.nudge = () => {
  if (nudged) return;
  nudged = true;
  send({ type: "nudge" });
  setImmediate(() => (nudged = false));
};

function target(store: string): Record<string, unknown> {
  const t = store === "" ? backend : (backend as unknown as Record<string, unknown>)[store];
  if (t === null || typeof t !== "object") throw new Error(`no store ${JSON.stringify(store)}`);
  return t as Record<string, unknown>;
}

function fail(id: number, err: unknown): void {
  const e = err as Error & { code?: unknown };
  send({
    type: "reply",
    id,
    ok: false,
    error: isAgentStateError(err)
      ? { agentstate: true, code: err.code, message: err.message, details: err.details }
      : { agentstate: false, message: e.message, stack: e.stack, code: typeof e.code === "string" ? e.code : undefined },
  });
}

function run(call: Call): void {
  latestNow = call.now;
  if (call.store === "" && call.method === "close") {
    // Once the close is answered nothing keeps this thread alive: it ends by itself.
    void backend.close().then(() => {
      send({ type: "reply", id: call.id, ok: true, value: undefined });
      flush();
      port?.close();
    }, (err: unknown) => fail(call.id, err));
    return;
  }
  try {
    const t = target(call.store);
    const fn = t[call.method];
    if (typeof fn !== "function") throw new Error(`no method ${call.store}.${call.method}`);
    (fn as (...a: unknown[]) => Promise<unknown>).apply(t, call.args).then(
      (value) => send({ type: "reply", id: call.id, ok: true, value }),
      (err: unknown) => fail(call.id, err),
    );
  } catch (err) {
    fail(call.id, err);
  }
}

port.on("message", (calls: ToWorker) => {
  for (const call of calls) run(call);
});
