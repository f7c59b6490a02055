/**
 * One connection's behaviour under load: pipelining, backpressure from a peer that never reads,
 * and peers that vanish with requests in flight.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { RawSocket, type RpcReply } from "../helpers/raw.js";

test("10,000 pipelined requests on one connection are all answered, ids matched", async (t) => {
  const d = await startTestDaemon(t);
  const raw = await RawSocket.connect(d.socket, t);
  const n = 10_000;
  const frames = Array.from({ length: n }, (_, i) =>
    JSON.stringify(i % 10 === 0
      ? { jsonrpc: "2.0", id: `s${i}`, method: "sessions.create", params: { id: `pipe-${i}` } }
      : { jsonrpc: "2.0", id: i, method: "daemon.ping" }),
  );
  await raw.send(frames.join("\n") + "\n");
  const replies = (await raw.take(n, 30_000)).map((l) => JSON.parse(l) as RpcReply);
  const seen = new Set<string | number | null>();
  for (const r of replies) {
    assert.equal(r.error, undefined, JSON.stringify(r));
    if (typeof r.id === "string") assert.equal((r.result as { id: string }).id, `pipe-${r.id.slice(1)}`);
    else assert.equal(r.result, "pong");
    seen.add(r.id);
  }
  assert.equal(seen.size, n, "every id answered exactly once");
  for (let i = 0; i < n; i++) assert.ok(seen.has(i % 10 === 0 ? `s${i}` : i), `id ${i} missing`);
  assert.deepEqual(await raw.syncPing(), [], "nothing extra");
});

test("a peer that never reads its replies does not stop other connections", async (t) => {
  const d = await startTestDaemon(t);
  const hog = await RawSocket.connect(d.socket, t);
  hog.socket.pause(); // never read: its replies pile up until the daemon must stop writing to it
  const frame = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}\n');
  const burst = Buffer.concat(Array.from({ length: 20_000 }, () => frame));
  hog.socket.write(burst); // ~1 MB of requests asking for ~20,000 large replies

  const other = await RawSocket.connect(d.socket, t);
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    assert.deepEqual(await other.syncPing(2000), []);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  assert.ok(times[Math.floor(times.length / 2)] < 100, `median ping ${times[25].toFixed(1)} ms while another peer is stuck`);

  // The daemon applied backpressure instead of reading (and answering into memory) without bound.
  assert.ok(hog.socket.writableLength > 0, "the daemon stopped reading the peer that does not read");
  const stats = await other.roundTrip({ jsonrpc: "2.0", id: "stats", method: "daemon.stats" });
  const { inFlight, connections } = stats.result as { inFlight: number; connections: number };
  assert.equal(connections, 2);
  assert.ok(inFlight <= d.config.maxInFlight + 1500, `in flight ${inFlight}`);
});

test("a peer that disconnects with a request in flight does not disturb the daemon", async (t) => {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const createSession = store.conversations.createSession.bind(store.conversations);
  store.conversations.createSession = async (input) => {
    entered();
    await gate;
    return createSession(input);
  };
  const d = await startTestDaemon(t, { store });
  const leaver = await RawSocket.connect(d.socket, t);
  await leaver.sendJson({ jsonrpc: "2.0", id: 1, method: "sessions.create", params: { id: "orphan" } });
  await inside;
  leaver.destroy();
  await leaver.closed;
  release();

  const raw = await RawSocket.connect(d.socket, t);
  assert.deepEqual(await raw.syncPing(), []);
  const got = await raw.roundTrip({ jsonrpc: "2.0", id: 2, method: "sessions.get", params: { id: "orphan" } });
  assert.equal((got.result as { id: string }).id, "orphan", "the call completed even though nobody was left to hear");
  const stats = await raw.roundTrip({ jsonrpc: "2.0", id: 3, method: "daemon.stats" });
  assert.equal((stats.result as { inFlight: number }).inFlight, 1, "only the stats call itself");
});
