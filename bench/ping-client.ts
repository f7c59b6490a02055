/**
 * The client side of P1, run as its own process so the round trip crosses a process boundary:
 *
 *   node dist/bench/ping-client.js <socket> raw <warmup> <count>        sequential, raw NDJSON
 *   node dist/bench/ping-client.js <socket> client <warmup> <count>     sequential, typed client
 *   node dist/bench/ping-client.js <socket> pipelined <count> <window>  one connection, N in flight
 *
 * Prints one JSON line with the result. The raw modes use a bare net socket and no framing
 * library, so what is measured is the daemon and the kernel, not client overhead.
 */
import { createConnection, type Socket } from "node:net";
import { connect } from "../src/client/index.js";
import { summarize } from "./stats.js";

const [socketPath, mode, a, b] = process.argv.slice(2);
const NEWLINE = 0x0a;

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

const frame = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"daemon.ping"}\n`;

async function sequentialRaw(warmup: number, count: number) {
  const socket = await open(socketPath);
  socket.setNoDelay?.(true);
  let pending: ((line: string) => void) | undefined;
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    const nl = buffered.indexOf("\n");
    if (nl === -1) return;
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    const resolve = pending;
    pending = undefined;
    resolve?.(line);
  });
  const once = (id: number) =>
    new Promise<string>((resolve) => {
      pending = resolve;
      socket.write(frame(id));
    });
  const samples = new Float64Array(count);
  for (let i = 0; i < warmup + count; i++) {
    const t0 = process.hrtime.bigint();
    const line = await once(i);
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (line !== `{"jsonrpc":"2.0","id":${i},"result":"pong"}`) throw new Error(`unexpected reply ${line}`);
    if (i >= warmup) samples[i - warmup] = us;
  }
  socket.destroy();
  return summarize(samples);
}

async function sequentialClient(warmup: number, count: number) {
  const client = await connect({ socket: socketPath });
  const samples = new Float64Array(count);
  for (let i = 0; i < warmup + count; i++) {
    const t0 = process.hrtime.bigint();
    const r = await client.daemon.ping();
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (r !== "pong") throw new Error(`unexpected result ${String(r)}`);
    if (i >= warmup) samples[i - warmup] = us;
  }
  client.close();
  return summarize(samples);
}

async function pipelined(count: number, window: number) {
  const socket = await open(socketPath);
  let sent = 0;
  let received = 0;
  const sendMore = (n: number) => {
    let text = "";
    for (let i = 0; i < n && sent < count; i++) text += frame(sent++);
    if (text) socket.write(text);
  };
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      let replies = 0;
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) replies++;
      received += replies;
      if (received >= count) resolve();
      else sendMore(replies);
    });
    sendMore(window);
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  socket.destroy();
  return { count, window, seconds: Math.round(seconds * 1000) / 1000, perSecond: Math.round(count / seconds) };
}

const result =
  mode === "raw" ? await sequentialRaw(Number(a), Number(b))
  : mode === "client" ? await sequentialClient(Number(a), Number(b))
  : mode === "pipelined" ? await pipelined(Number(a), Number(b))
  : undefined;
if (result === undefined) {
  process.stderr.write(`usage: ping-client <socket> raw|client|pipelined …\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(result) + "\n");
