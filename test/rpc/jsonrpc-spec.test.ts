/**
 * JSON-RPC 2.0 as its specification says (section 7, every example), over a real socket against
 * an in-process daemon, plus the rules SPEC §5 adds: named params only, data.issues, data.code on
 * every error, the batch limit, and internal errors that leak nothing.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test, type TestContext } from "node:test";
import winston from "winston";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { resolveConfig } from "../../src/config/config.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { ERROR_CODES } from "../../src/domain/errors.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { RawSocket, type RpcReply } from "../helpers/raw.js";
import { tempDir } from "../helpers/tmp.js";

async function rawTo(t: TestContext): Promise<RawSocket> {
  const d = await startTestDaemon(t);
  return RawSocket.connect(d.socket, t);
}

/** An error reply: the code, the id, and the data.code every error must carry. */
function assertError(reply: RpcReply, code: number, id: RpcReply["id"], dataCode?: string): void {
  assert.equal(reply.jsonrpc, "2.0");
  assert.equal(reply.result, undefined, "an error reply has no result");
  assert.ok(reply.error, `expected an error, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.code, code, JSON.stringify(reply));
  assert.equal(typeof reply.error.message, "string");
  assert.deepEqual(reply.id, id);
  assert.equal(typeof reply.error.data?.code, "string", `data.code missing: ${JSON.stringify(reply)}`);
  if (dataCode !== undefined) assert.equal(reply.error.data?.code, dataCode);
}

const ping = (id: string | number) => ({ jsonrpc: "2.0", id, method: "daemon.ping" });

describe("JSON-RPC 2.0 specification, section 7 examples", () => {
  test("rpc call with named parameters", async (t) => {
    const raw = await rawTo(t);
    const created = await raw.roundTrip({ jsonrpc: "2.0", method: "sessions.create", params: { id: "s-named", title: "hello" }, id: 3 });
    assert.equal(created.id, 3);
    assert.equal(created.error, undefined, JSON.stringify(created));
    assert.equal((created.result as { id: string }).id, "s-named");
    assert.equal((created.result as { title: string }).title, "hello");

    const got = await raw.roundTrip({ jsonrpc: "2.0", method: "sessions.get", params: { id: "s-named" }, id: "4" });
    assert.equal(got.id, "4");
    assert.equal((got.result as { title: string }).title, "hello");

    assert.deepEqual(await raw.roundTrip(ping(5)), { jsonrpc: "2.0", id: 5, result: "pong" });
  });

  test("a notification gets no reply, and it runs", async (t) => {
    const raw = await rawTo(t);
    // One write: a notification, then a ping. Only the ping may answer.
    await raw.send(
      JSON.stringify({ jsonrpc: "2.0", method: "sessions.create", params: { id: "from-notification" } }) + "\n" +
        JSON.stringify(ping("after")) + "\n",
    );
    const first = await raw.next();
    assert.deepEqual(first, { jsonrpc: "2.0", id: "after", result: "pong" });
    const got = await raw.roundTrip({ jsonrpc: "2.0", id: "get", method: "sessions.get", params: { id: "from-notification" } });
    assert.equal(got.id, "get");
    assert.equal((got.result as { id: string }).id, "from-notification", "the notification was executed");
    assert.deepEqual(await raw.syncPing(), []);
    assert.equal(raw.buffered.length, 0);
  });

  test("notifications to non-existent methods get nothing back (spec: update, foobar)", async (t) => {
    const raw = await rawTo(t);
    await raw.sendJson({ jsonrpc: "2.0", method: "update", params: [1, 2, 3, 4, 5] });
    await raw.sendJson({ jsonrpc: "2.0", method: "foobar" });
    assert.deepEqual(await raw.syncPing(), [], "nothing but the ping's reply");
  });

  test("rpc call of a non-existent method is -32601", async (t) => {
    const raw = await rawTo(t);
    assertError(await raw.roundTrip({ jsonrpc: "2.0", method: "foobar", id: "1" }), -32601, "1", "METHOD_NOT_FOUND");
  });

  test("rpc call with invalid JSON is -32700 with id null", async (t) => {
    const raw = await rawTo(t);
    await raw.send('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]\n');
    assertError(await raw.next(), -32700, null, "PARSE_ERROR");
    assert.deepEqual(await raw.syncPing(), [], "the connection carries on");
  });

  test("rpc call with an invalid Request object is -32600 with id null", async (t) => {
    const raw = await rawTo(t);
    await raw.send('{"jsonrpc": "2.0", "method": 1, "params": "bar"}\n');
    assertError(await raw.next(), -32600, null, "INVALID_REQUEST");
  });

  test("rpc call batch with invalid JSON is a single -32700", async (t) => {
    const raw = await rawTo(t);
    await raw.send('[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]\n');
    const reply = await raw.next<unknown>();
    assert.ok(!Array.isArray(reply), "a single error object, not an array");
    assertError(reply as RpcReply, -32700, null, "PARSE_ERROR");
  });

  test("rpc call with an empty array is a single -32600, not an array", async (t) => {
    const raw = await rawTo(t);
    await raw.send("[]\n");
    const reply = await raw.next<unknown>();
    assert.ok(!Array.isArray(reply));
    assertError(reply as RpcReply, -32600, null, "INVALID_REQUEST");
  });

  test("rpc call with an invalid batch of one, [1], is an array of one -32600", async (t) => {
    const raw = await rawTo(t);
    await raw.send("[1]\n");
    const reply = await raw.next<RpcReply[]>();
    assert.ok(Array.isArray(reply));
    assert.equal(reply.length, 1);
    assertError(reply[0], -32600, null, "INVALID_REQUEST");
  });

  test("rpc call with an invalid batch, [1,2,3], is an array of three -32600", async (t) => {
    const raw = await rawTo(t);
    await raw.send("[1,2,3]\n");
    const reply = await raw.next<RpcReply[]>();
    assert.ok(Array.isArray(reply));
    assert.equal(reply.length, 3);
    for (const r of reply) assertError(r, -32600, null, "INVALID_REQUEST");
  });

  test("rpc call batch: results and errors in one array, notifications omitted", async (t) => {
    const raw = await rawTo(t);
    await raw.sendJson([
      { jsonrpc: "2.0", method: "daemon.ping", id: "1" },
      { jsonrpc: "2.0", method: "daemon.ping" },
      { jsonrpc: "2.0", method: "sessions.create", params: { id: "batch-1" }, id: "2" },
      { foo: "boo" },
      { jsonrpc: "2.0", method: "foo.get", params: { name: "myself" }, id: "5" },
      { jsonrpc: "2.0", method: "daemon.version", id: "9" },
    ]);
    const reply = await raw.next<RpcReply[]>();
    assert.ok(Array.isArray(reply));
    assert.equal(reply.length, 5, JSON.stringify(reply));
    const byId = (id: string | null) => reply.filter((r) => r.id === id);
    assert.deepEqual(byId("1"), [{ jsonrpc: "2.0", id: "1", result: "pong" }]);
    assert.equal((byId("2")[0].result as { id: string }).id, "batch-1");
    assertError(byId(null)[0], -32600, null, "INVALID_REQUEST");
    assertError(byId("5")[0], -32601, "5", "METHOD_NOT_FOUND");
    assert.equal(typeof (byId("9")[0].result as { version: string }).version, "string");
  });

  test("rpc call batch of only notifications gets nothing back", async (t) => {
    const raw = await rawTo(t);
    await raw.sendJson([
      { jsonrpc: "2.0", method: "notify_sum", params: [1, 2, 4] },
      { jsonrpc: "2.0", method: "notify_hello", params: [7] },
      { jsonrpc: "2.0", method: "daemon.ping" },
    ]);
    assert.deepEqual(await raw.syncPing(), []);
  });
});

describe("JSON-RPC rules SPEC §5 adds", () => {
  test("positional params are -32602 with data.issues", async (t) => {
    const raw = await rawTo(t);
    const reply = await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "sessions.get", params: ["abc"] });
    assertError(reply, -32602, 1, "INVALID_PARAMS");
    assert.ok(Array.isArray(reply.error?.data?.issues));
  });

  test("params of the wrong type are -32602 with data.issues naming the field path", async (t) => {
    const raw = await rawTo(t);
    const reply = await raw.roundTrip({
      jsonrpc: "2.0",
      id: 2,
      method: "messages.append",
      params: { sessionId: "s", messages: [{ role: 42, content: "hi" }] },
    });
    assertError(reply, -32602, 2, "INVALID_PARAMS");
    const issues = reply.error?.data?.issues as { path: string; message: string }[];
    assert.ok(issues.some((i) => i.path === "/messages/0/role"), JSON.stringify(issues));
    for (const i of issues) assert.equal(typeof i.message, "string");

    const wrongId = await raw.roundTrip({ jsonrpc: "2.0", id: 3, method: "sessions.get", params: { id: 7 } });
    assertError(wrongId, -32602, 3, "INVALID_PARAMS");
    assert.ok((wrongId.error?.data?.issues as { path: string }[]).some((i) => i.path === "/id"));

    const extra = await raw.roundTrip({ jsonrpc: "2.0", id: 4, method: "daemon.ping", params: { surprise: true } });
    assertError(extra, -32602, 4, "INVALID_PARAMS");
  });

  test("params that are not an object or array are -32600", async (t) => {
    const raw = await rawTo(t);
    assertError(await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "daemon.ping", params: "bar" }), -32600, 1, "INVALID_REQUEST");
    assertError(await raw.roundTrip({ jsonrpc: "2.0", id: 2, method: "daemon.ping", params: null }), -32600, 2, "INVALID_REQUEST");
  });

  test("Object.prototype names are not methods", async (t) => {
    const raw = await rawTo(t);
    for (const method of ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"]) {
      assertError(await raw.roundTrip({ jsonrpc: "2.0", id: method, method }), -32601, method, "METHOD_NOT_FOUND");
    }
    // __proto__ as a key in the raw text (JSON.parse keeps it as an own property).
    await raw.send('{"jsonrpc":"2.0","id":"p","method":"daemon.ping","__proto__":{"method":"x"}}\n');
    assert.deepEqual(await raw.next(), { jsonrpc: "2.0", id: "p", result: "pong" });
  });

  test("a batch of 1,001 is one -32600; a batch of exactly 1,000 pings gets 1,000 replies", async (t) => {
    const raw = await rawTo(t);
    await raw.sendJson(Array.from({ length: 1001 }, (_, i) => ping(i)));
    const over = await raw.next<unknown>();
    assert.ok(!Array.isArray(over));
    assertError(over as RpcReply, -32600, null, "INVALID_REQUEST");

    await raw.sendJson(Array.from({ length: 1000 }, (_, i) => ping(i)));
    const replies = await raw.next<RpcReply[]>();
    assert.equal(replies.length, 1000);
    assert.deepEqual(
      replies.map((r) => r.id).sort((a, b) => Number(a) - Number(b)),
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.ok(replies.every((r) => r.result === "pong"));
  });

  test('"jsonrpc": "1.0" or missing is -32600', async (t) => {
    const raw = await rawTo(t);
    assertError(await raw.roundTrip({ jsonrpc: "1.0", id: 1, method: "daemon.ping" }), -32600, 1, "INVALID_REQUEST");
    assertError(await raw.roundTrip({ id: 2, method: "daemon.ping" }), -32600, 2, "INVALID_REQUEST");
  });

  test("an id that is an object, an array or a boolean is -32600 with id null", async (t) => {
    const raw = await rawTo(t);
    for (const id of [{ a: 1 }, [1], true]) {
      assertError(await raw.roundTrip({ jsonrpc: "2.0", id, method: "daemon.ping" }), -32600, null, "INVALID_REQUEST");
    }
    // An id of null is allowed (discouraged by the spec) and echoed.
    assert.deepEqual(await raw.roundTrip({ jsonrpc: "2.0", id: null, method: "daemon.ping" }), { jsonrpc: "2.0", id: null, result: "pong" });
  });

  test("a request that is a JSON scalar is -32600", async (t) => {
    const raw = await rawTo(t);
    for (const text of ["1", '"daemon.ping"', "null", "true"]) {
      await raw.send(text + "\n");
      assertError(await raw.next(), -32600, null, "INVALID_REQUEST");
    }
  });

  test("an application error (NOT_FOUND) is -32001 with data.code", async (t) => {
    const raw = await rawTo(t);
    const reply = await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "sessions.get", params: { id: "missing" } });
    assertError(reply, ERROR_CODES.NOT_FOUND.rpc, 1, "NOT_FOUND");
    assert.equal(reply.error?.code, -32001);
    const conflict = await raw.roundTrip({ jsonrpc: "2.0", id: 2, method: "sessions.create", params: { id: "dup" } });
    assert.equal(conflict.error, undefined);
    assertError(await raw.roundTrip({ jsonrpc: "2.0", id: 3, method: "sessions.create", params: { id: "dup" } }), -32002, 3, "CONFLICT");
  });

  test("every application code in ERROR_CODES sits in -32000…-32099 or is the standard -32602", () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      if (code === "INVALID_PARAMS") assert.equal(e.rpc, -32602);
      else assert.ok(e.rpc <= -32000 && e.rpc >= -32099, `${code}: ${e.rpc}`);
    }
    assert.equal(new Set(Object.values(ERROR_CODES).map((e) => e.rpc)).size, Object.keys(ERROR_CODES).length, "codes are distinct");
  });

  test("an internal error is -32603 with data.ref, the detail logged under that ref and never sent", async (t) => {
    const secret = "connection string postgres://admin:hunter2@db/internal";
    const store = new MemoryBackend({ origin: "test", now: () => new Date() });
    store.conversations.getSession = async () => {
      throw new Error(secret);
    };
    const logged: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logged.push(JSON.parse(line));
        cb();
      },
    });
    const dir = tempDir(t);
    const config = { ...resolveConfig({ env: {} }).config, socket: `${dir}/run/s.sock`, backend: "memory" as const };
    const logger = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    const daemon = new Daemon({ config, logger, backend: store });
    t.after(() => daemon.stop());
    await daemon.start();
    const raw = await RawSocket.connect(config.socket, t);

    const line = await (async () => {
      await raw.sendJson({ jsonrpc: "2.0", id: 7, method: "sessions.get", params: { id: "x" } });
      return raw.nextLine();
    })();
    const reply = JSON.parse(line) as RpcReply;
    assertError(reply, -32603, 7, "INTERNAL");
    const ref = reply.error?.data?.ref;
    assert.equal(typeof ref, "string");
    assert.ok((ref as string).length >= 8);
    assert.ok(!line.includes("hunter2") && !line.includes("connection string"), `leaked: ${line}`);
    assert.equal(reply.error?.message, "Internal error");
    const entry = logged.find((l) => l.ref === ref);
    assert.ok(entry, `no log entry with ref ${String(ref)}: ${JSON.stringify(logged)}`);
    assert.equal(entry.method, "sessions.get");
    assert.match(String(entry.error), /hunter2/, "the detail goes to the log, for the operator");

    // A notification that fails internally still gets nothing back.
    await raw.sendJson({ jsonrpc: "2.0", method: "sessions.get", params: { id: "x" } });
    assert.deepEqual(await raw.syncPing(), []);
  });

  test("rpc.discover describes every method with its params schema, by name", async (t) => {
    const raw = await rawTo(t);
    const reply = await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "rpc.discover" });
    const doc = reply.result as { openrpc: string; methods: { name: string; paramStructure: string; params: { name: string; schema: unknown }[]; result: unknown }[] };
    assert.match(doc.openrpc, /^1\./);
    const names = doc.methods.map((m) => m.name);
    for (const n of ["daemon.ping", "daemon.version", "daemon.health", "daemon.stats", "rpc.discover", "sessions.create", "messages.append"]) {
      assert.ok(names.includes(n), `${n} missing from rpc.discover`);
    }
    assert.ok(doc.methods.every((m) => m.paramStructure === "by-name"));
    const append = doc.methods.find((m) => m.name === "messages.append");
    assert.ok(append?.params.some((p) => p.name === "messages"));
  });
});
