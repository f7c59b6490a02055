/**
 * The partition lab itself (test/helpers/netns.ts): a Postgres and a Redis inside the lab's server
 * namespace answer over a host's link; partition(i) makes that link silent — a request neither
 * succeeds nor fails, it just hangs — without touching another host's link or the Unix socket the
 * test checks through; heal(i) brings it back; close() leaves no namespace or link behind.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import { test } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { netLab, netLabUnavailable } from "../helpers/netns.js";
import { pgUrlAt, startThrowawayPostgres } from "../helpers/postgres.js";
import { redisUrlAt, startThrowawayRedis } from "../helpers/redis.js";

const skip = netLabUnavailable();

/** Resolves "connected", "refused" or "silent" (nothing within `ms`). */
function probe(host: string, port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve("silent");
    }, ms);
    s.once("connect", () => {
      clearTimeout(timer);
      s.destroy();
      resolve("connected");
    });
    s.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === "ECONNREFUSED" ? "refused" : String(err.code));
    });
  });
}

test("partition lab: servers in a namespace, silent drops per link, heal, clean up", { skip, timeout: 60_000 }, async (t) => {
  const lab = netLab(["root", "root", "ns"]);
  t.after(() => lab.close());
  const pgServer = await startThrowawayPostgres({ wrap: lab.server.wrap });
  const redisServer = await startThrowawayRedis({ wrap: lab.server.wrap });
  t.after(async () => {
    await pgServer.stop?.();
    await redisServer.stop?.();
  });
  const [a, b] = lab.hosts;

  const pa = new pg.Client({ connectionString: pgUrlAt(pgServer, a.serverAddress) });
  await pa.connect();
  pa.on("error", () => undefined);
  assert.equal((await pa.query("SELECT 1 AS one")).rows[0].one, 1);
  const ra = new Redis(redisUrlAt(redisServer, a.serverAddress), { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
  ra.on("error", () => undefined);
  await ra.connect();
  assert.equal(await ra.ping(), "PONG");

  lab.partition(0);
  // An established connection: the query is neither answered nor refused.
  const pending = pa.query("SELECT 2 AS two");
  const outcome = await Promise.race([pending.then(() => "answered", () => "failed"), new Promise((r) => setTimeout(() => r("silent"), 1500))]);
  assert.equal(outcome, "silent");
  const redisOutcome = await Promise.race([ra.ping().then(() => "answered", () => "failed"), new Promise((r) => setTimeout(() => r("silent"), 1000))]);
  assert.equal(redisOutcome, "silent");
  // A new connection: SYNs vanish.
  assert.equal(await probe(a.serverAddress, pgServer.port, 1000), "silent");
  // Another link and the Unix socket are untouched.
  assert.equal(await probe(b.serverAddress, pgServer.port, 1000), "connected");
  assert.equal(await probe(b.serverAddress, redisServer.port, 1000), "connected");
  const viaSocket = new pg.Client({ connectionString: pgServer.url });
  await viaSocket.connect();
  assert.equal((await viaSocket.query("SELECT 3 AS three")).rows[0].three, 3);
  await viaSocket.end();

  lab.heal(0);
  // TCP retransmits what was sent into the void: the held query completes after healing.
  assert.equal((await pending).rows[0].two, 2);
  assert.equal(await probe(a.serverAddress, pgServer.port, 1000), "connected");
  await pa.end();
  ra.disconnect();

  // A process inside a host namespace reaches the server only over its own link.
  const c = lab.hosts[2];
  const inside = execFileSync(c.wrap(["ip", "-o", "-4", "addr", "show"])[0], c.wrap(["ip", "-o", "-4", "addr", "show"]).slice(1)).toString();
  assert.match(inside, new RegExp(c.address.replace(/\./g, "\\.")));

  await pgServer.stop?.();
  await redisServer.stop?.();
  lab.close();
  const left = execFileSync("ip", ["netns", "list"]).toString();
  assert.ok(!left.includes(lab.server.ns), `namespace ${lab.server.ns} left behind`);
  assert.ok(!execFileSync("ip", ["-o", "link"]).toString().includes(`${lab.server.ns}`), "a link left behind");
});
