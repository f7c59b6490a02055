/**
 * The connection's write path: what one turn of the event loop writes to a connection — replies to
 * the requests of one read, notifications of one fan-out — reaches the socket as one write, in the
 * order it was written, and a graceful close still delivers it.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { Type } from "@sinclair/typebox";
import { method, type MethodDef } from "../../src/domain/method.js";
import { RpcConnection } from "../../src/rpc/connection.js";
import { Dispatcher, type CallContext, type Handler } from "../../src/rpc/dispatcher.js";
import { tempDir } from "../helpers/tmp.js";
import { RawSocket } from "../helpers/raw.js";

const defs: MethodDef[] = [
  method({ name: "daemon.ping", summary: "pong", params: Type.Object({}), result: Type.String() }),
  method({ name: "t.chatty", summary: "two notifications, then the reply", params: Type.Object({ n: Type.Integer() }), result: Type.Integer() }),
  method({ name: "t.big", summary: "large notifications, then the reply", params: Type.Object({ n: Type.Integer() }), result: Type.Integer() }),
];
const handlers: Record<string, Handler> = {
  "daemon.ping": () => "pong",
  "t.chatty": (p: { n: number }, ctx: CallContext) => {
    ctx.notify("t.note", { n: p.n, part: 1 });
    ctx.notify("t.note", { n: p.n, part: 2 });
    return p.n;
  },
  "t.big": (p: { n: number }, ctx: CallContext) => {
    for (let i = 0; i < p.n; i++) ctx.notify("t.blob", { i, blob: String(i % 10).repeat(50_000) });
    return p.n;
  },
};

interface Served {
  path: string;
  /** socket.write calls the daemon side made. */
  writes: () => number;
  connections: RpcConnection[];
}

async function serve(t: TestContext): Promise<Served> {
  const path = join(tempDir(t), "s.sock");
  const dispatcher = new Dispatcher(defs, handlers, { logger: { error: () => undefined } });
  let writes = 0;
  const connections: RpcConnection[] = [];
  const server: Server = createServer((socket: Socket) => {
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      writes++;
      return write(...args);
    });
    connections.push(new RpcConnection(socket, dispatcher, { maxLineBytes: 1 << 20, maxInFlight: 1024, logger: { error: () => undefined } }));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => {
    for (const c of connections) c.close();
    server.close();
  });
  return { path, writes: () => writes, connections };
}

test("the replies to requests read together go out in one write, every one answered", async (t) => {
  const s = await serve(t);
  const raw = await RawSocket.connect(s.path, t);
  const n = 200;
  await raw.send(Array.from({ length: n }, (_, i) => JSON.stringify({ jsonrpc: "2.0", id: i, method: "daemon.ping" }) + "\n").join(""));
  const replies = (await raw.take(n)).map((l) => JSON.parse(l) as { id: number; result: string });
  assert.deepEqual(replies.map((r) => r.id).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.ok(replies.every((r) => r.result === "pong"));
  // 200 requests of ~45 bytes arrive in one or a few reads; each read's replies are one write.
  assert.ok(s.writes() <= 5, `${s.writes()} socket writes for ${n} replies`);
});

test("notifications and the reply written in one turn keep their order", async (t) => {
  const s = await serve(t);
  const raw = await RawSocket.connect(s.path, t);
  await raw.send([1, 2, 3].map((n) => JSON.stringify({ jsonrpc: "2.0", id: n, method: "t.chatty", params: { n } }) + "\n").join(""));
  const lines = (await raw.take(9)).map((l) => JSON.parse(l) as { id?: number; method?: string; params?: { n: number; part: number } });
  // Handlers run as their lines are read (notifications at once), replies follow in promise
  // continuations: the wire order must be exactly the order of the writes.
  assert.deepEqual(
    lines.map((l) => (l.method ? `note ${l.params?.n}.${l.params?.part}` : `reply ${l.id}`)),
    ["note 1.1", "note 1.2", "note 2.1", "note 2.2", "note 3.1", "note 3.2", "reply 1", "reply 2", "reply 3"],
  );
});

test("a turn that writes more than the flush size still delivers everything, in order", async (t) => {
  const s = await serve(t);
  const raw = await RawSocket.connect(s.path, t);
  await raw.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "t.big", params: { n: 7 } }) + "\n");
  const lines = (await raw.take(8, 5000)).map((l) => JSON.parse(l) as { id?: number; params?: { i: number; blob: string } });
  assert.deepEqual(lines.slice(0, 7).map((l) => l.params?.i), [0, 1, 2, 3, 4, 5, 6]);
  for (const l of lines.slice(0, 7)) assert.equal(l.params?.blob, String((l.params?.i ?? 0) % 10).repeat(50_000));
  assert.equal(lines[7].id, 1);
  // ~350 KB in one turn: a few writes of ~64 KB or more, not one per notification, not one string.
  assert.ok(s.writes() >= 2 && s.writes() <= 7, `${s.writes()} socket writes`);
});

test("what a turn wrote before a graceful close is delivered before the connection ends", async (t) => {
  const s = await serve(t);
  const raw = await RawSocket.connect(s.path, t);
  assert.deepEqual(await raw.syncPing(), []); // the server side is attached
  const [conn] = s.connections;
  conn.notify("t.last", { n: 1 });
  conn.notify("t.last", { n: 2 });
  conn.close(1000); // same turn: the two notifications have not been handed to the socket yet
  const lines = (await raw.take(2, 2000)).map((l) => JSON.parse(l) as { method: string; params: { n: number } });
  assert.deepEqual(lines.map((l) => [l.method, l.params.n]), [["t.last", 1], ["t.last", 2]]);
  await raw.closed;
});
