/**
 * R3 (SPEC §11): 10,000 malformed frames over 50 concurrent connections to the real daemon binary.
 * The daemon must not crash, must answer every answerable frame with a conformant error (never
 * -32603), must refuse oversized lines with -32600 and hang up, must keep serving a well-behaved
 * client, and must not grow without bound.
 *
 * Seeded: the seed is printed first; AGENTSTATE_FUZZ_SEED=<n> replays the same frames on each
 * connection (AGENTSTATE_FUZZ_FRAMES scales the run). A failure names the connection and frames.
 */
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { Worker } from "node:worker_threads";
import { RawSocket } from "../helpers/raw.js";
import { spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";
import type { GoodClientReport } from "./fuzz-good-client.js";
import {
  expectLine, FrameMaker, Ids, linesOf, mutations, replyProblems, rng, satisfies,
  type Frame, type LineExpectation, type Mutation, type Owed, type Rng, type RpcId,
} from "./fuzz-frames.js";

const SEED = process.env.AGENTSTATE_FUZZ_SEED !== undefined ? Number(process.env.AGENTSTATE_FUZZ_SEED) : randomInt(2 ** 31);
const FRAMES = Number(process.env.AGENTSTATE_FUZZ_FRAMES ?? 10_000);
// 4 MiB: room for multi-megabyte strings inside the limit, and oversized lines that stay cheap to send.
const LIMIT = 4 * 1024 * 1024;
const CHUNK_TIMEOUT_MS = 20_000;
console.log(`# R3 fuzz seed ${SEED} (replay: AGENTSTATE_FUZZ_SEED=${SEED})`);

const key = (id: RpcId) => JSON.stringify(id);

interface ConnResult {
  frames: number;
  replies: number;
  kinds: Record<string, number>;
}

class FuzzFailure extends Error {}

/** One fuzzing connection: chunks of frames, each followed by a sentinel ping; every owed reply is matched before the next chunk. */
async function fuzzConnection(socket: string, conn: number, frames: number, muts: readonly Mutation[], mutOffset: number): Promise<ConnResult> {
  const r = rng((SEED ^ Math.imul(conn + 1, 0x9e3779b9)) >>> 0);
  const ids = new Ids(conn, r);
  const maker = new FrameMaker(r, ids, muts, mutOffset);
  const raw = await RawSocket.connect(socket);
  const result: ConnResult = { frames: 0, replies: 0, kinds: {} };
  const count = (kind: string) => (result.kinds[kind] = (result.kinds[kind] ?? 0) + 1);
  const where = (labels: string[]) => `seed ${SEED}, connection ${conn}, frames:\n  ${labels.map((l) => l.slice(0, 300)).join("\n  ")}`;
  try {
    while (result.frames < frames) {
      const x = r.next();
      if (x < 0.003) {
        await oversized(socket, r, ids, where);
        count("oversized");
        result.frames++;
        continue;
      }
      if (x < 0.013) {
        await halfFrame(socket, maker, r, where);
        count("halfFrame");
        result.frames++;
        continue;
      }
      const chunk: Frame[] = [];
      for (let n = r.int(1, 8); n > 0 && result.frames < frames; n--, result.frames++) chunk.push(maker.next());
      for (const f of chunk) {
        count(f.kind);
        if (f.bytes.length > LIMIT) throw new FuzzFailure(`test bug: frame over the line limit: ${f.label}`);
      }
      result.replies += await sendChunk(raw, chunk, r, ids, where);
    }
    return result;
  } finally {
    raw.destroy();
  }
}

/** Sends frames (split at random points) and a sentinel ping; returns once every owed reply has been matched. */
async function sendChunk(raw: RawSocket, chunk: Frame[], r: Rng, ids: Ids, where: (labels: string[]) => string): Promise<number> {
  const labels = chunk.map((f) => `[${f.kind}] ${f.label}`);
  const singles = new Map<string, Owed>();
  const nulls: Owed[] = [];
  const batches: Owed[][] = [];
  for (const f of chunk) {
    for (const l of linesOf(f.bytes)) {
      const e: LineExpectation | undefined = expectLine(l);
      if (e === undefined) continue;
      if (e.kind === "batch") batches.push(e.owed);
      else if (e.owed.id === null) nulls.push(e.owed);
      else {
        if (singles.has(key(e.owed.id))) throw new FuzzFailure(`test bug: duplicate id ${key(e.owed.id)}`);
        singles.set(key(e.owed.id), e.owed);
      }
    }
  }
  const sentinel = `sentinel-${ids.next()}`;
  const bytes = Buffer.concat([...chunk.map((f) => f.bytes), Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: sentinel, method: "daemon.ping" }) + "\n")]);
  const cuts = [0, ...Array.from({ length: r.int(0, 3) }, () => r.int(0, bytes.length)).sort((a, b) => a - b), bytes.length];
  for (let i = 1; i < cuts.length; i++) if (cuts[i] !== cuts[i - 1]) await raw.send(bytes.subarray(cuts[i - 1], cuts[i]));

  let sentinelSeen = false;
  let replies = 0;
  const fail = (why: string): never => {
    throw new FuzzFailure(`${why}\n${where(labels)}`);
  };
  const matchOne = (reply: Record<string, unknown>, pool: { byId: Map<string, Owed>; nulls: Owed[] }): boolean => {
    const id = reply.id as RpcId;
    if (id !== null) {
      const owed = pool.byId.get(key(id));
      if (!owed || !satisfies(reply, owed)) return false;
      pool.byId.delete(key(id));
      return true;
    }
    const i = pool.nulls.findIndex((o) => satisfies(reply, o));
    if (i === -1) return false;
    pool.nulls.splice(i, 1);
    return true;
  };
  const deadline = Date.now() + CHUNK_TIMEOUT_MS;
  while (!sentinelSeen || singles.size > 0 || nulls.length > 0 || batches.length > 0) {
    let text: string;
    try {
      text = await raw.nextLine(Math.max(1, deadline - Date.now()));
    } catch (err) {
      const owed = [...singles.keys(), ...nulls.map(() => "null"), ...batches.map((b) => `batch of ${b.length}`)];
      return fail(`${(err as Error).message}; still owed: ${owed.join(", ").slice(0, 500)}${sentinelSeen ? "" : " and the sentinel"}`);
    }
    const reply = JSON.parse(text) as unknown;
    if (Array.isArray(reply)) {
      for (const el of reply) {
        const p = replyProblems(el);
        if (p.length > 0) fail(`non-conformant batch element (${p.join("; ")}): ${JSON.stringify(el).slice(0, 500)}`);
      }
      const at = batches.findIndex((owed) => {
        if (owed.length !== reply.length) return false;
        const pool = { byId: new Map(owed.filter((o) => o.id !== null).map((o) => [key(o.id), o])), nulls: owed.filter((o) => o.id === null) };
        const withIds = [...reply].sort((a, b) => Number((a as { id: RpcId }).id === null) - Number((b as { id: RpcId }).id === null));
        return withIds.every((el) => matchOne(el as Record<string, unknown>, pool));
      });
      if (at === -1) {
        const owed = batches.map((b) => b.map((o) => `${key(o.id)}:${JSON.stringify(o.codes)}`).join(" "));
        fail(`unexpected batch reply: ${text.slice(0, 3000)}\nbatches still owed:\n  ${owed.join("\n  ").slice(0, 3000)}`);
      }
      batches.splice(at, 1);
      replies++;
      continue;
    }
    const obj = reply as Record<string, unknown>;
    // A legal events.subscribe among the frames makes this connection a subscriber: its events are not replies.
    if (obj !== null && typeof obj === "object" && !Object.hasOwn(obj, "id") && obj.jsonrpc === "2.0" && typeof obj.method === "string") continue;
    const p = replyProblems(reply);
    if (obj.id === sentinel) {
      if (obj.result !== "pong") fail(`sentinel ping answered ${text.slice(0, 300)}`);
      sentinelSeen = true;
      continue;
    }
    if (p.length > 0) fail(`non-conformant reply (${p.join("; ")}): ${text.slice(0, 500)}`);
    if (!matchOne(obj, { byId: singles, nulls })) fail(`unexpected reply: ${text.slice(0, 500)}`);
    replies++;
  }
  return replies;
}

/** A side connection: some requests, then a line over the limit. Owed: their replies, one -32600 with id null, then the close. */
async function oversized(socket: string, r: Rng, ids: Ids, where: (l: string[]) => string): Promise<void> {
  const raw = await RawSocket.connect(socket);
  try {
    const before = Array.from({ length: r.int(0, 3) }, () => ({ jsonrpc: "2.0", id: ids.next(), method: "daemon.ping" }));
    const block = r.bytes(65_536);
    for (let i = 0; i < block.length; i++) if (block[i] === 0x0a) block[i] = 0x20;
    const size = LIMIT + r.int(1, 100_000);
    const body = Buffer.alloc(size);
    for (let o = 0; o < size; o += block.length) block.copy(body, o);
    const prefix = Buffer.from(r.chance(0.5) ? '{"jsonrpc":"2.0","id":"big","method":"sessions.create","params":{"title":"' : "");
    prefix.copy(body);
    const label = `oversized line of ${size} bytes after ${before.length} requests`;
    const payload = Buffer.concat([...before.map((m) => Buffer.from(JSON.stringify(m) + "\n")), body]);
    // The daemon may hang up before all of it is written: that is the point.
    await raw.send(payload).catch(() => undefined);
    const closed = await Promise.race([raw.closed.then(() => true), new Promise((res) => setTimeout(() => res(false), 15_000))]);
    if (!closed) throw new FuzzFailure(`daemon did not close the connection after an oversized line\n${where([label])}`);
    const lines = [...raw.buffered].map((l) => JSON.parse(l) as Record<string, unknown>);
    const problems = lines.flatMap((l) => replyProblems(l));
    const last = lines[lines.length - 1] as { id?: RpcId; error?: { code: number } } | undefined;
    const ok = problems.length === 0 && lines.length === before.length + 1 && last?.id === null && last.error?.code === -32600 &&
      before.every((m) => lines.some((l) => key(l.id as RpcId) === key(m.id) && l.result === "pong"));
    if (!ok) throw new FuzzFailure(`oversized line answered ${JSON.stringify(lines).slice(0, 800)} ${problems.join("; ")}\n${where([label])}`);
  } finally {
    raw.destroy();
  }
}

/** A side connection: complete requests, then half a frame, then a disconnect (sometimes before the replies). */
async function halfFrame(socket: string, maker: FrameMaker, r: Rng, where: (l: string[]) => string): Promise<void> {
  const raw = await RawSocket.connect(socket);
  try {
    const complete = Array.from({ length: r.int(0, 3) }, () => maker.valid());
    const whole = r.pick([() => JSON.stringify(maker.valid()), () => maker.next().bytes.toString("latin1"), () => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "sessions.create", params: { title: "🦀".repeat(200_000) } })])();
    const half = Buffer.from(whole, "utf8").subarray(0, r.int(1, Math.max(1, Buffer.byteLength(whole) - 1)));
    const partial = half.indexOf(0x0a) === -1 ? half : half.subarray(0, half.indexOf(0x0a));
    const label = `${complete.length} requests then ${partial.length} bytes of a frame, then disconnect`;
    await raw.send(Buffer.concat([...complete.map((m) => Buffer.from(JSON.stringify(m) + "\n")), partial]));
    if (r.chance(0.5)) {
      const got = await raw.take(complete.length, CHUNK_TIMEOUT_MS).catch((e: Error) => {
        throw new FuzzFailure(`${e.message}\n${where([label])}`);
      });
      for (const line of got) {
        const p = replyProblems(JSON.parse(line));
        if (p.length > 0) throw new FuzzFailure(`non-conformant reply ${line.slice(0, 300)}: ${p.join("; ")}\n${where([label])}`);
      }
    }
  } finally {
    raw.destroy();
  }
}

/** The well-behaved client (fuzz-good-client.ts) in a worker thread; `stop()` returns what it saw. */
function wellBehaved(socket: string): { stop(): Promise<GoodClientReport> } {
  const worker = new Worker(new URL("./fuzz-good-client.js", import.meta.url), { workerData: { socket } });
  const report = new Promise<GoodClientReport>((resolve, reject) => {
    worker.once("message", (m: GoodClientReport) => resolve(m));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`well-behaved client worker exited with ${code} before reporting`)));
  });
  return {
    stop: async () => {
      worker.postMessage("stop");
      const r = await report;
      await worker.terminate();
      return r;
    },
  };
}

interface Stats {
  pid: number;
  rssBytes: number;
}
async function stats(socket: string): Promise<Stats> {
  const raw = await RawSocket.connect(socket);
  try {
    const reply = await raw.roundTrip({ jsonrpc: "2.0", id: "stats", method: "daemon.stats" }, 10_000);
    return reply.result as Stats;
  } finally {
    raw.destroy();
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function storm(t: TestContext, opts: { frames: number; connections: number; backendArgs: (dir: string) => string[] }): Promise<void> {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const daemon = await spawnDaemon(t, { socket, args: ["--max-line-bytes", String(LIMIT), ...opts.backendArgs(dir)] });
  const muts = mutations(rng(SEED));
  const start = await stats(socket);
  const good = wellBehaved(socket);
  const t0 = performance.now();
  const per = Math.ceil(opts.frames / opts.connections);
  const slice = Math.ceil(muts.length / opts.connections);
  const settled = await Promise.allSettled(
    Array.from({ length: opts.connections }, (_, c) => fuzzConnection(socket, c, Math.min(per, opts.frames - c * per), muts, c * slice)),
  );
  const elapsed = performance.now() - t0;
  const { latencies, errors } = await good.stop();
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => (s.reason as Error).message);

  assert.ok(daemon.running, `the daemon died (seed ${SEED}):\n${daemon.stderr.slice(-4000)}`);
  const end = await stats(socket);
  assert.equal(end.pid, daemon.pid, "a different process answers");
  assert.equal(end.pid, start.pid);

  const results = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const kinds: Record<string, number> = {};
  for (const r of results) for (const [k, n] of Object.entries(r.kinds)) kinds[k] = (kinds[k] ?? 0) + n;
  const sent = results.reduce((a, r) => a + r.frames, 0);
  const growth = end.rssBytes - start.rssBytes;
  const p99 = percentile(latencies, 99);
  t.diagnostic(`seed ${SEED}: ${sent} frames over ${opts.connections} connections in ${(elapsed / 1000).toFixed(1)} s; ${results.reduce((a, r) => a + r.replies, 0)} replies matched`);
  t.diagnostic(`frames by kind: ${JSON.stringify(kinds)}; method mutations in the table: ${muts.length} (${muts.filter((m) => m.schemaValid).length} still schema-valid)`);
  t.diagnostic(`well-behaved client: ${latencies.length} calls, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  t.diagnostic(`daemon RSS ${mb(start.rssBytes)} -> ${mb(end.rssBytes)} (growth ${mb(growth)})`);

  const internal = daemon.logs().filter((l) => l.level === "error");
  assert.deepEqual(failures, [], `seed ${SEED}: ${failures.length} connection(s) failed`);
  assert.equal(sent, opts.frames);
  assert.deepEqual(internal, [], "the daemon logged errors (an internal error on bad input is a bug)");
  assert.deepEqual(errors, [], "the well-behaved client saw wrong answers");
  assert.ok(latencies.length > 0);
  assert.ok(p99 < 2000, `well-behaved client p99 ${p99.toFixed(1)} ms during the storm`);
  assert.ok(growth < 200 * 1024 * 1024, `RSS grew by ${mb(growth)}`);
}

test(`R3: ${FRAMES} malformed frames over 50 connections (memory backend)`, { timeout: 120_000 }, async (t) => {
  await storm(t, { frames: FRAMES, connections: 50, backendArgs: () => [] });
});

test("R3: 2,000 malformed frames over 10 connections (jsonl backend)", { timeout: 60_000 }, async (t) => {
  await storm(t, { frames: Math.min(2000, FRAMES), connections: 10, backendArgs: (dir) => ["--backend", "jsonl", "--data-dir", join(dir, "data")] });
});
