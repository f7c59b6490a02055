/**
 * R2: stop the backend server for 5 s under light load. A function of the server (a throwaway one
 * with stop()/start()) and the daemon arguments, so postgres and redis run the same test.
 *
 * Load: writers appending to their own sessions, a reader listing messages, a pinger, a health
 * poller, and two subscribers through the client library: A stays subscribed throughout; B's
 * process "dies" when the outage starts, tries to subscribe again during the gap (and must be
 * refused fast), then resumes with fromCursor after the server is back. Both must see exactly the
 * change log, in cursor order: checked against a fresh subscription from the start and against
 * the per-session seq ranges, which must be contiguous.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { compareCursors, connect, RpcCallError, type Client, type EventSubscription } from "../../src/client/index.js";
import type { Change } from "../../src/domain/changes.js";
import { eventually, sleep } from "../events/collect.js";
import { exited, spawnDaemon } from "../helpers/spawn-daemon.js";
import { tempDir } from "../helpers/tmp.js";

/** A throwaway server (test/helpers/postgres.ts, redis.ts): one whose stop()/start() are present. */
export interface OutageServer {
  stop?(): Promise<void>;
  start?(): Promise<void>;
}

export interface OutageOptions {
  server: OutageServer;
  /** Daemon arguments after --socket (backend, url, schema or prefix). */
  daemonArgs: string[];
  /** Resolves when the daemon's change feed (LISTEN connection, stream reader) is attached to the server. */
  feedAttached(): Promise<boolean>;
  writers?: number;
  outageMs?: number;
}

export interface OutageReport {
  acked: number;
  failed: number;
  /** Failed writes answered OUTCOME_UNKNOWN. */
  unknown: number;
  maxFailedMs: number;
  recoveryMs: number;
  feedMs: number;
  changes: number;
  healthFailSeenAfterMs: number;
  maxPingMs: number;
}

/** Every call must fail this fast while the backend is away. */
const FAIL_FAST_MS = 3000;
/** Service must resume this soon after the server accepts connections. */
const RECOVERY_MS = 2000;
/** The daemon probes its backend this often (src/daemon/health.ts), plus the probe's own timeout. */
const PROBE_SLACK_MS = 5000 + 2000 + 500;

interface Call {
  start: number;
  end: number;
  ok: boolean;
  code?: string;
  error?: string;
  /** A write, which may also fail with OUTCOME_UNKNOWN (its commit was in flight when the server went away). */
  write?: boolean;
}

interface Subscriber {
  client: Client;
  sub: EventSubscription;
  changes: Change[];
}

const SENTINEL = "r2-sentinel";

/** `surprises` collects anything but a change, or an error, reaching the subscriber: none is expected. */
async function subscriber(socket: string, fromCursor: string | undefined, surprises: string[], changes: Change[] = []): Promise<Subscriber> {
  const client = await connect({ socket, timeoutMs: 10_000 });
  try {
    const sub = await client.events.subscribe(["sessions"], (m) => {
      if (m.type === "change") changes.push(m.change);
      else surprises.push(JSON.stringify(m));
    }, { fromCursor, onError: (err) => surprises.push(String(err)) });
    return { client, sub, changes };
  } catch (err) {
    client.close();
    throw err;
  }
}

const codeOf = (err: unknown) => (err instanceof RpcCallError ? err.code : undefined);

export async function outageRun(t: TestContext, opts: OutageOptions): Promise<OutageReport> {
  const dir = tempDir(t);
  const socket = join(dir, "s.sock");
  const outageMs = opts.outageMs ?? 5000;
  const { server } = opts;
  if (!server.stop || !server.start) throw new Error("R2 needs a server it may stop: a throwaway one");
  const daemon = await spawnDaemon(["--socket", socket, ...opts.daemonArgs, "--log-level", "warn"]);
  const clients: Client[] = [];
  const loops: Promise<void>[] = [];
  let running = true;
  const surprises: string[] = [];
  const open = async () => {
    const c = await connect({ socket, timeoutMs: 10_000 });
    clients.push(c);
    return c;
  };
  try {
    const control = await open();
    const { pid } = await control.daemon.stats();
    assert.equal(pid, daemon.child.pid);

    const a = await subscriber(socket, undefined, surprises);
    clients.push(a.client);
    const origin = a.sub.cursor;
    let b = await subscriber(socket, origin, surprises);
    clients.push(b.client);

    const calls: Call[] = [];
    const acked: { session: string; firstSeq: number; content: string; at: number }[] = [];
    const timed = async <T>(fn: () => Promise<T>, write = false): Promise<T | undefined> => {
      const start = performance.now();
      try {
        const r = await fn();
        calls.push({ start, end: performance.now(), ok: true, write });
        return r;
      } catch (err) {
        calls.push({ start, end: performance.now(), ok: false, code: codeOf(err), error: String(err), write });
        await sleep(20);
        return undefined;
      }
    };
    for (let w = 0; w < (opts.writers ?? 4); w++) {
      const session = `r2-${w}`;
      await control.sessions.create({ id: session });
      const c = await open();
      loops.push((async () => {
        for (let i = 0; running; i++) {
          const content = `${w}:${i}`;
          const r = await timed(() => c.messages.append({ sessionId: session, messages: [{ role: "user", content }] }), true);
          if (r) acked.push({ session, firstSeq: r.firstSeq, content, at: performance.now() });
          await sleep(10);
        }
      })());
    }
    const reader = await open();
    loops.push((async () => {
      while (running) {
        await timed(() => reader.messages.list({ sessionId: "r2-0", limit: 5 }));
        await sleep(25);
      }
    })());
    // The daemon must answer throughout: any failed ping or health call fails the test.
    let maxPingMs = 0;
    const controlErrors: string[] = [];
    const health: { at: number; status: string }[] = [];
    loops.push((async () => {
      while (running) {
        const t0 = performance.now();
        await control.daemon.ping().catch((err: unknown) => controlErrors.push(`daemon.ping: ${String(err)}`));
        maxPingMs = Math.max(maxPingMs, performance.now() - t0);
        await sleep(100);
      }
    })());
    loops.push((async () => {
      while (running) {
        const h = await control.daemon.health().catch((err: unknown) => void controlErrors.push(`daemon.health: ${String(err)}`));
        if (h) health.push({ at: performance.now(), status: h.checks.backend.status });
        await sleep(200);
      }
    })());

    await sleep(1500);
    const beforeStop = calls.length;
    await server.stop();
    const down = performance.now();

    // B's process goes away with the server; a new one tries to resume during the gap.
    const bCursor = b.sub.cursor;
    const bSeen = b.changes;
    b.client.close();
    const t0 = performance.now();
    const refused = await subscriber(socket, bCursor, surprises).then(
      (s) => {
        s.client.close();
        return new Error("events.subscribe succeeded while the backend was down");
      },
      (err: unknown) => err,
    );
    const refusedMs = performance.now() - t0;
    assert.equal(codeOf(refused), "BACKEND_UNAVAILABLE", `subscribe during the outage: ${String(refused)}`);

    await sleep(Math.max(0, outageMs - (performance.now() - down)));
    const restarting = performance.now();
    await server.start();
    const ready = performance.now();

    const firstOk = await eventually(() => {
      const ok = calls.find((c) => c.ok && c.start >= restarting);
      if (!ok) throw new Error("no call succeeded yet");
      return ok;
    }, RECOVERY_MS + 3000);
    // Negative when the daemon was back before the helper's own readiness poll noticed the server.
    const recoveryMs = firstOk.end - ready;
    const feedMs = await eventually(async () => {
      assert.ok(await opts.feedAttached(), "the change feed did not attach again");
      return performance.now() - ready;
    }, 5000);
    assert.ok(feedMs <= RECOVERY_MS, `the change feed attached again ${feedMs.toFixed(0)} ms after the server was ready`);

    b = await subscriber(socket, bCursor, surprises, bSeen);
    clients.push(b.client);
    await sleep(1500);
    running = false;
    await Promise.all(loops);
    assert.deepEqual(controlErrors, [], "the daemon did not answer throughout");

    // Health: a cached probe saw the outage, and passes again within one probe interval.
    const failSeen = health.find((h) => h.status === "fail" && h.at >= down);
    assert.ok(failSeen, `daemon.health never reported the backend as fail: ${JSON.stringify(health.map((h) => h.status))}`);
    assert.ok(failSeen.at - down <= PROBE_SLACK_MS, `health reported the outage ${(failSeen.at - down).toFixed(0)} ms after it began`);
    await eventually(async () => assert.equal((await control.daemon.health()).checks.backend.status, "pass"), PROBE_SLACK_MS);

    // Calls: every failure is fast and BACKEND_UNAVAILABLE — or, for a write whose commit was in
    // flight as the server stopped, OUTCOME_UNKNOWN; none succeeded while the server was away.
    const failed = calls.filter((c) => !c.ok);
    assert.ok(calls.length > beforeStop + 10 && failed.length > 0, "the load did not run through the outage");
    for (const f of failed) {
      const allowed = f.write ? ["BACKEND_UNAVAILABLE", "OUTCOME_UNKNOWN"] : ["BACKEND_UNAVAILABLE"];
      assert.ok(allowed.includes(f.code ?? ""), `a call failed otherwise: ${f.error}`);
      assert.ok(f.end - f.start <= FAIL_FAST_MS, `a call took ${(f.end - f.start).toFixed(0)} ms to fail`);
    }
    const maxFailedMs = Math.max(refusedMs, ...failed.map((f) => f.end - f.start));
    const duringGap = calls.filter((c) => c.ok && c.start >= down && c.end <= restarting);
    assert.equal(duringGap.length, 0, "a call succeeded while the server was stopped");
    assert.ok(recoveryMs <= RECOVERY_MS, `the first successful call came ${recoveryMs.toFixed(0)} ms after the server was ready`);

    // The daemon process never changed.
    assert.equal(daemon.child.exitCode, null);
    assert.equal((await control.daemon.stats()).pid, pid);

    // The store: every acknowledged append where it was acknowledged (redis kept its data: AOF).
    const stored = new Map<string, string>();
    const contents = new Set<string>();
    for (const session of new Set(acked.map((w) => w.session))) {
      let cursor: string | undefined;
      do {
        const page = await control.messages.list({ sessionId: session, limit: 1000, cursor });
        for (const m of page.items) {
          assert.ok(!contents.has(String(m.content)), `${session}: ${String(m.content)} is stored twice (a write applied twice)`);
          contents.add(String(m.content));
          stored.set(`${session}/${m.seq}`, String(m.content));
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    for (const w of acked) assert.equal(stored.get(`${w.session}/${w.firstSeq}`), w.content, `acknowledged ${w.session} seq ${w.firstSeq} is not stored`);

    // Subscribers: exactly the change log, in order, with every acknowledged append.
    await control.sessions.create({ id: SENTINEL });
    const fresh = await subscriber(socket, origin, surprises);
    clients.push(fresh.client);
    const isSentinel = (c: Change) => c.id === SENTINEL && c.type === "session.created";
    for (const s of [a, b, fresh]) await eventually(() => assert.ok(s.changes.some(isSentinel)), 10_000);
    const log = fresh.changes;
    assertContiguous(log, acked);
    const cursors = (cs: Change[]) => cs.map((c) => c.cursor);
    assert.deepEqual(cursors(a.changes), cursors(log), "subscriber A: a gap, a duplicate or a reorder");
    assert.deepEqual(cursors(b.changes), cursors(log), "subscriber B (resumed with fromCursor): a gap, a duplicate or a reorder");
    assert.ok(acked.some((w) => w.at > ready), "no append was acknowledged after the outage");
    assert.deepEqual(surprises, [], "a subscriber got something other than changes");

    return {
      acked: acked.length,
      failed: failed.length,
      unknown: failed.filter((f) => f.code === "OUTCOME_UNKNOWN").length,
      maxFailedMs,
      recoveryMs,
      feedMs,
      changes: log.length,
      healthFailSeenAfterMs: failSeen.at - down,
      maxPingMs,
    };
  } catch (err) {
    t.diagnostic(`daemon stderr:\n${daemon.stderr().slice(-4000)}`);
    throw err;
  } finally {
    running = false;
    await Promise.all(loops);
    for (const c of clients) c.close();
    daemon.child.kill("SIGTERM");
    await exited(daemon.child);
  }
}

/**
 * The log is in strictly increasing cursor order; each session's appends cover seq 1…n without a
 * gap or an overlap; every acknowledged append is among them.
 */
function assertContiguous(log: Change[], acked: { session: string; firstSeq: number }[]): void {
  for (let i = 1; i < log.length; i++) {
    assert.ok(compareCursors(log[i].cursor, log[i - 1].cursor) > 0, `log out of order at ${i}: ${log[i - 1].cursor} then ${log[i].cursor}`);
  }
  const next = new Map<string, number>();
  const seen = new Set<string>();
  for (const c of log) {
    if (c.type !== "message.appended") continue;
    const { firstSeq, lastSeq } = c.data as { firstSeq: number; lastSeq: number };
    const want = next.get(c.id) ?? 1;
    assert.equal(firstSeq, want, `session ${c.id}: appended seq ${firstSeq} where ${want} was next`);
    next.set(c.id, lastSeq + 1);
    for (let s = firstSeq; s <= lastSeq; s++) seen.add(`${c.id}/${s}`);
  }
  for (const { session, firstSeq } of acked) assert.ok(seen.has(`${session}/${firstSeq}`), `acknowledged ${session} seq ${firstSeq} has no change`);
}
