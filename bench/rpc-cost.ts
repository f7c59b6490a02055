/**
 * What the RPC layer alone costs per request, in-process and without sockets: the dispatcher's
 * handleLine (UTF-8 check, depth check, JSON.parse, envelope checks, TypeBox validation, reply
 * JSON) on a P2 `messages.append` line and on a `daemon.ping` line, with stub handlers. Not a SPEC
 * target: it tells how much of P2c the RPC layer can account for.
 *
 *   node dist/bench/rpc-cost.js [--baseline DIR] [--rounds N] [--count N]
 *
 * With --baseline, DIR's dispatcher (its dist) is measured in alternating rounds beside this one.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Dispatcher as DispatcherType, CallContext, Handler } from "../src/rpc/dispatcher.js";
import type { MethodDef } from "../src/domain/method.js";
import { ROOT } from "./harness.js";
import { formatTable } from "./compare.js";

const { values } = parseArgs({ options: { baseline: { type: "string" }, rounds: { type: "string" }, count: { type: "string" } } });
const rounds = Number(values.rounds ?? 5);
const count = Number(values.count ?? 200_000);

interface Loaded {
  label: string;
  dispatcher: DispatcherType;
}

async function load(label: string, root: string): Promise<Loaded> {
  const dist = (p: string) => pathToFileURL(join(root, "dist", "src", p)).href;
  const { Dispatcher } = (await import(dist("rpc/dispatcher.js"))) as typeof import("../src/rpc/dispatcher.js");
  const { allMethods } = (await import(dist("domain/methods.js"))) as { allMethods: readonly MethodDef[] };
  const { checkEachSize } = (await import(dist("daemon/limits.js"))) as typeof import("../src/daemon/limits.js");
  const handlers: Record<string, Handler> = Object.fromEntries(allMethods.map((m) => [m.name, () => null]));
  handlers["daemon.ping"] = () => "pong";
  // The handler's own work above the backend (daemon/handlers/conversations.ts), without the backend.
  handlers["messages.append"] = (p: { messages: unknown[] }) => {
    checkEachSize("messages", p.messages, 1024 * 1024);
    return { firstSeq: 1, lastSeq: 1 };
  };
  const dispatcher = new Dispatcher(allMethods, handlers, { logger: { error: () => undefined } });
  return { label, dispatcher };
}

const ctx: CallContext = { connectionId: 1, notify: () => undefined, onceClosed: () => undefined, pendingWriteBytes: 0 };
const head = "turn 1: ";
const content = head + "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(4).slice(0, 165 - head.length);
const lines = {
  "messages.append": Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 12345, method: "messages.append", params: { sessionId: "jsonl-3-7", messages: [{ role: "assistant", content }] } })),
  "daemon.ping": Buffer.from('{"jsonrpc":"2.0","id":12345,"method":"daemon.ping"}'),
};

/** CPU µs (user + system of this process) per call: on a shared machine, time spent waiting for a CPU is not counted. */
async function time(d: DispatcherType, line: Buffer, n: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await d.handleLine(line, ctx);
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / n;
}

const sides = [...(values.baseline ? [await load("base", values.baseline)] : []), await load("this", ROOT)];
const results = new Map<string, number[]>();
for (const s of sides) for (const line of Object.values(lines)) await time(s.dispatcher, line, count / 10); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
    for (const [name, line] of Object.entries(lines)) {
      const key = `${name}|${s.label}`;
      results.set(key, [...(results.get(key) ?? []), await time(s.dispatcher, line, count)]);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cells = Object.keys(lines).map((name) => [
  name,
  ...sides.map((s) => {
    const xs = results.get(`${name}|${s.label}`) ?? [];
    return `${median(xs).toFixed(2)} µs [${xs.map((x) => x.toFixed(2)).join(", ")}]`;
  }),
]);
process.stdout.write(formatTable(["request", ...sides.map((s) => `${s.label}: CPU µs per handleLine (median of ${rounds})`)], cells) + "\n");
