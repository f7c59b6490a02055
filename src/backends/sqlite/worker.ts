/**
 * The sqlite writer thread (see threaded.ts): runs a whole SqliteBackend — core operations, group
 * commit, COMMIT and its fsync — so none of it blocks the daemon's event loop. Each call arrives
 * as a message with the caller's clock reading, which every timestamp of that call uses (tests
 * run controllable clocks); calls that arrive while a COMMIT blocks this thread queue up and join
 * the next batch.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { isAgentStateError } from "../../domain/errors.js";
import { SqliteBackend, type SqliteOptions } from "./index.js";
import type { Call, Reply, WorkerData } from "./threaded.js";

const port = parentPort;
if (!port) throw new Error("sqlite/worker.js runs only as a worker thread");

const clock = new AsyncLocalStorage<number>();
const data = workerData as WorkerData;
const opts: SqliteOptions = {
  ...data.opts,
  now: () => new Date(clock.getStore() ?? Date.now()),
  log: {
    warn: (message, meta) => port.postMessage({ type: "log", level: "warn", message, meta } satisfies Reply),
    info: (message, meta) => port.postMessage({ type: "log", level: "info", message, meta } satisfies Reply),
  },
  onMigration: (m) => port.postMessage({ type: "migration", migration: { version: m.version, name: m.name } } satisfies Reply),
};
const backend = new SqliteBackend(opts);
backend.storage.changes.nudge = () => port.postMessage({ type: "nudge" } satisfies Reply);

function target(store: string): Record<string, unknown> {
  const t = store === "" ? backend : (backend as unknown as Record<string, unknown>)[store];
  if (t === null || typeof t !== "object") throw new Error(`no store ${JSON.stringify(store)}`);
  return t as Record<string, unknown>;
}

port.on("message", (call: Call) => {
  void clock.run(call.now, async () => {
    try {
      const t = target(call.store);
      const fn = t[call.method];
      if (typeof fn !== "function") throw new Error(`no method ${call.store}.${call.method}`);
      const value: unknown = await (fn as (...a: unknown[]) => unknown).apply(t, call.args);
      port.postMessage({ type: "reply", id: call.id, ok: true, value } satisfies Reply);
    } catch (err) {
      const e = err as Error & { code?: unknown; details?: unknown; cause?: unknown };
      port.postMessage({
        type: "reply",
        id: call.id,
        ok: false,
        error: isAgentStateError(err)
          ? { agentstate: true, code: err.code, message: err.message, details: err.details }
          : { agentstate: false, message: e.message, stack: e.stack, code: typeof e.code === "string" ? e.code : undefined },
      } satisfies Reply);
    }
  });
});
