/**
 * P3's measuring process: `node fanout-client.js SOCKET CONNECTIONS SUBS_PER_CONNECTION WRITES [WRITER_SOCKET]`.
 * Opens CONNECTIONS raw NDJSON connections with SUBS_PER_CONNECTION subscriptions to `sessions`
 * each, then makes WRITES sequential writes on one more connection (to WRITER_SOCKET when given: P4,
 * another daemon) and times, for every write, each subscription's events.event from the moment
 * the write was sent. Prints one JSON line: the latency summary in µs.
 */
import { createConnection, type Socket } from "node:net";
import { LineSplitter } from "../src/rpc/framing.js";
import { summarize } from "./stats.js";

const [socketPath, connsArg, subsArg, writesArg, writerSocket] = process.argv.slice(2);
const CONNECTIONS = Number(connsArg);
const SUBS = Number(subsArg);
const WRITES = Number(writesArg);
const WARMUP = 10;

interface Line {
  id?: number;
  method?: string;
  params?: { id?: string };
  result?: unknown;
  error?: unknown;
}

function open(path: string, onLine: (msg: Line) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
    s.on("data", (chunk: Buffer) => {
      for (const l of splitter.push(chunk)) onLine(JSON.parse(l.toString("utf8")) as Line);
    });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

let sentAt = 0;
let expect = "";
let seen = 0;
let wake: (() => void) | undefined;
const total = CONNECTIONS * SUBS;
const samples = new Float64Array(WRITES * total);
let n = 0;
let measuring = false;
const replies = new Map<number, (v: Line) => void>();

const onLine = (msg: Line) => {
  if (msg.method === "events.event") {
    if (msg.params?.id !== expect) return;
    if (measuring) samples[n++] = (performance.now() - sentAt) * 1000;
    if (++seen === total) wake?.();
    return;
  }
  if (typeof msg.id === "number") replies.get(msg.id)?.(msg);
};

let nextId = 1;
const call = (s: Socket, method: string, params: unknown): Promise<Line> =>
  new Promise((resolve) => {
    const id = nextId++;
    replies.set(id, (v) => {
      replies.delete(id);
      resolve(v);
    });
    s.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
  });

const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => open(socketPath, onLine)));
for (const s of sockets) {
  const subs = await Promise.all(Array.from({ length: SUBS }, () => call(s, "events.subscribe", { topics: ["sessions"] })));
  const failed = subs.find((r) => r.error !== undefined);
  if (failed) throw new Error(`subscribe failed: ${JSON.stringify(failed.error)}`);
}
const writer = await open(writerSocket ?? socketPath, onLine);
for (let i = 0; i < WARMUP + WRITES; i++) {
  measuring = i >= WARMUP;
  expect = `w${process.pid}-${i}`;
  seen = 0;
  const all = new Promise<void>((r) => (wake = r));
  sentAt = performance.now();
  const reply = await call(writer, "sessions.create", { id: expect });
  if (reply.error !== undefined) throw new Error(`write failed: ${JSON.stringify(reply.error)}`);
  await all;
}
for (const s of [...sockets, writer]) s.destroy();
process.stdout.write(JSON.stringify({ ...summarize(samples.subarray(0, n)), writes: WRITES, subscribers: total, connections: CONNECTIONS }) + "\n");
