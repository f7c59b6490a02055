/**
 * NDJSON framing (SPEC §5): the LineSplitter on its own, then the same cases over a real socket,
 * including what a hostile peer can send (invalid UTF-8, deep nesting, oversized lines).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LineSplitter, LineTooLongError } from "../../src/rpc/framing.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { RawSocket, type RpcReply } from "../helpers/raw.js";

const text = (lines: Buffer[]) => lines.map((l) => l.toString("utf8"));

describe("LineSplitter", () => {
  test("two messages in one chunk", () => {
    const s = new LineSplitter(1024);
    assert.deepEqual(text(s.push(Buffer.from('{"a":1}\n{"b":2}\n'))), ['{"a":1}', '{"b":2}']);
    assert.equal(s.pendingBytes, 0);
  });

  test("one message split across many chunks, byte by byte", () => {
    const s = new LineSplitter(1024);
    const msg = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}\n');
    const out: Buffer[] = [];
    for (let i = 0; i < msg.length; i++) {
      out.push(...s.push(msg.subarray(i, i + 1)));
      if (i < msg.length - 1) {
        assert.equal(out.length, 0);
        assert.equal(s.pendingBytes, i + 1);
      }
    }
    assert.deepEqual(text(out), [msg.subarray(0, -1).toString()]);
    assert.equal(s.pendingBytes, 0);
  });

  test("a multibyte UTF-8 character split across chunks comes out whole", () => {
    const s = new LineSplitter(1024);
    const msg = Buffer.from('{"t":"h€llo 🦀"}\n');
    const euro = msg.indexOf(0xe2); // first byte of "€"
    const chunks = [msg.subarray(0, euro + 1), msg.subarray(euro + 1, euro + 2), msg.subarray(euro + 2)];
    const out = chunks.flatMap((c) => s.push(c));
    assert.deepEqual(text(out), ['{"t":"h€llo 🦀"}']);
  });

  test("a trailing part stays buffered until its newline; the last part of a chunk carries over", () => {
    const s = new LineSplitter(1024);
    assert.deepEqual(text(s.push(Buffer.from("one\ntw"))), ["one"]);
    assert.equal(s.pendingBytes, 2);
    assert.deepEqual(text(s.push(Buffer.from("o\nthree\n\n"))), ["two", "three", ""]);
    assert.equal(s.pendingBytes, 0);
  });

  test("never buffers more than the limit; a line of exactly the limit passes", () => {
    const limit = 64;
    const s = new LineSplitter(limit);
    assert.deepEqual(text(s.push(Buffer.from("x".repeat(limit) + "\n"))), ["x".repeat(limit)]);
    for (let i = 0; i < limit; i++) {
      s.push(Buffer.from("y"));
      assert.ok(s.pendingBytes <= limit);
    }
    assert.equal(s.pendingBytes, limit);
    assert.throws(() => s.push(Buffer.from("y")), LineTooLongError);
    assert.ok(s.pendingBytes <= limit, `pendingBytes ${s.pendingBytes} > ${limit}`);
  });

  test("an oversized line is refused without buffering it, whether or not its newline is in the chunk", () => {
    const withNewline = new LineSplitter(16);
    assert.throws(() => withNewline.push(Buffer.from("z".repeat(17) + "\n")), (e: unknown) => e instanceof LineTooLongError && e.limit === 16);
    assert.ok(withNewline.pendingBytes <= 16);

    const after = new LineSplitter(16);
    assert.throws(
      () => after.push(Buffer.from("ok\nfine\n" + "z".repeat(40))),
      (e: unknown) => e instanceof LineTooLongError && text(e.complete).join(",") === "ok,fine",
      "lines completed before the oversized one are handed back with the error",
    );

    const without = new LineSplitter(16);
    without.push(Buffer.from("z".repeat(10)));
    assert.throws(() => without.push(Buffer.from("z".repeat(100_000))), LineTooLongError);
    assert.ok(without.pendingBytes <= 16);
  });
});

describe("framing over the socket", () => {
  test("two messages in one write get two replies", async (t) => {
    const d = await startTestDaemon(t);
    const raw = await RawSocket.connect(d.socket, t);
    await raw.send('{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}\n{"jsonrpc":"2.0","id":2,"method":"daemon.ping"}\n');
    const ids = (await raw.take(2)).map((l) => (JSON.parse(l) as RpcReply).id).sort();
    assert.deepEqual(ids, [1, 2]);
  });

  test("a request sent byte by byte, with a multibyte character, is answered once and intact", async (t) => {
    const d = await startTestDaemon(t);
    const raw = await RawSocket.connect(d.socket, t);
    const title = "naïve € 🦀 日本";
    const bytes = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "sessions.create", params: { id: "utf8", title } }) + "\n");
    for (let i = 0; i < bytes.length; i++) await raw.send(bytes.subarray(i, i + 1));
    const reply = await raw.next();
    assert.equal(reply.error, undefined, JSON.stringify(reply));
    assert.equal((reply.result as { title: string }).title, title);
    assert.deepEqual(await raw.syncPing(), []);
  });

  test("invalid UTF-8 is -32700 with id null, and the connection carries on", async (t) => {
    const d = await startTestDaemon(t);
    const raw = await RawSocket.connect(d.socket, t);
    const bad = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"sessions.create","params":{"title":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}}\n'),
    ]);
    await raw.send(bad);
    const reply = await raw.next();
    assert.equal(reply.error?.code, -32700);
    assert.equal(reply.id, null);
    assert.equal(reply.error?.data?.code, "PARSE_ERROR");
    // An overlong encoding and a lone surrogate are invalid too.
    await raw.send(Buffer.concat([Buffer.from('"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"\n')]));
    assert.equal((await raw.next()).error?.code, -32700);
    await raw.send(Buffer.concat([Buffer.from('"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"\n')]));
    assert.equal((await raw.next()).error?.code, -32700);
    assert.deepEqual(await raw.syncPing(), []);
  });

  test("CRLF line endings are accepted and blank lines are ignored", async (t) => {
    const d = await startTestDaemon(t);
    const raw = await RawSocket.connect(d.socket, t);
    await raw.send('\n\r\n\n{"jsonrpc":"2.0","id":"crlf","method":"daemon.ping"}\r\n\n\n');
    assert.deepEqual(await raw.next(), { jsonrpc: "2.0", id: "crlf", result: "pong" });
    assert.deepEqual(await raw.syncPing(), [], "blank lines got no reply");
  });

  test("100,000 nested brackets are -32600 and the daemon stays fine", async (t) => {
    const d = await startTestDaemon(t);
    const raw = await RawSocket.connect(d.socket, t);
    await raw.send("[".repeat(100_000) + "\n");
    const reply = await raw.next();
    assert.equal(reply.error?.code, -32600);
    assert.equal(reply.id, null);
    assert.equal(reply.error?.data?.code, "INVALID_REQUEST");
    await raw.send(`{"jsonrpc":"2.0","id":1,"method":"sessions.create","params":{"metadata":${"[".repeat(50_000)}${"]".repeat(50_000)}}}\n`);
    assert.equal((await raw.next()).error?.code, -32600);
    // Brackets inside a string are not nesting.
    const inString = await raw.roundTrip({ jsonrpc: "2.0", id: 2, method: "sessions.create", params: { id: "brackets", title: "[".repeat(10_000) } });
    assert.equal(inString.error, undefined, JSON.stringify(inString).slice(0, 200));
    assert.deepEqual(await raw.syncPing(), []);
    const other = await RawSocket.connect(d.socket, t);
    assert.deepEqual(await other.syncPing(), []);
  });

  test("an oversized line gets one -32600 with id null, then that connection closes; others carry on", async (t) => {
    const d = await startTestDaemon(t, { maxLineBytes: 1024 });
    const bystander = await RawSocket.connect(d.socket, t);
    const raw = await RawSocket.connect(d.socket, t);
    // A line of exactly the limit is still fine.
    const fits = JSON.stringify({ jsonrpc: "2.0", id: "fits", method: "sessions.create", params: { title: "" } });
    const padded = fits.replace('"title":""', `"title":"${"a".repeat(1024 - fits.length)}"`);
    assert.equal(Buffer.byteLength(padded), 1024);
    assert.equal((await raw.roundTrip(JSON.parse(padded))).error, undefined);

    await raw.send(JSON.stringify({ jsonrpc: "2.0", id: 9, method: "sessions.create", params: { title: "b".repeat(2000) } }) + "\n");
    const reply = await raw.next();
    assert.equal(reply.error?.code, -32600);
    assert.equal(reply.id, null);
    assert.equal(reply.error?.data?.code, "INVALID_REQUEST");
    await raw.closed;
    assert.equal(raw.buffered.length, 0, "exactly one reply");

    assert.deepEqual(await bystander.syncPing(), []);
    const fresh = await RawSocket.connect(d.socket, t);
    assert.deepEqual(await fresh.syncPing(), []);
  });

  test("requests completed before an oversized line in the same chunk are still answered", async (t) => {
    const d = await startTestDaemon(t, { maxLineBytes: 1024 });
    const raw = await RawSocket.connect(d.socket, t);
    await raw.send('{"jsonrpc":"2.0","id":"before","method":"daemon.ping"}\n' + "c".repeat(2048) + "\n");
    await raw.closed;
    const replies = raw.buffered.map((l) => JSON.parse(l) as RpcReply);
    assert.deepEqual(
      replies.find((r) => r.id === "before"),
      { jsonrpc: "2.0", id: "before", result: "pong" },
      `a complete, valid request got no reply; got ${JSON.stringify(replies)}`,
    );
    const refusal = replies.find((r) => r.id === null);
    assert.equal(refusal?.error?.code, -32600);
  });

  test("an oversized line without a newline is refused once the limit is passed, not when the peer stops", async (t) => {
    const d = await startTestDaemon(t, { maxLineBytes: 1024 });
    const raw = await RawSocket.connect(d.socket, t);
    await raw.send("x".repeat(4096)); // no newline ever comes
    const reply = await raw.next();
    assert.equal(reply.error?.code, -32600);
    assert.equal(reply.id, null);
    await raw.closed;
  });

  test("a peer that keeps streaming a huge line is cut off (reading stops, the daemon does not buffer it)", async (t) => {
    const d = await startTestDaemon(t, { maxLineBytes: 1024 });
    const raw = await RawSocket.connect(d.socket, t);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    // Keep writing until the daemon hangs up; it must, long before 64 MiB.
    let refused = false;
    while (!refused && !raw.isClosed && sent < 64 * 1024 * 1024) {
      await raw.send(chunk).then(
        () => (sent += chunk.length),
        () => (refused = true), // EPIPE: the daemon hung up
      );
    }
    await raw.closed;
    assert.ok(sent < 64 * 1024 * 1024, "the daemon closed the connection");
    const other = await RawSocket.connect(d.socket, t);
    assert.deepEqual(await other.syncPing(), []);
  });
});
