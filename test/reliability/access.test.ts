/**
 * R4 (SPEC §11, §2, §5): who may connect, and what ids and strings can do.
 *
 * - The socket is 0600 in a 0700 directory, and another uid (`nobody`) cannot connect: with the
 *   daemon's 0700 directory it is refused at the directory (EACCES); with that directory opened to
 *   0755 by the test it is still refused by the 0600 socket itself (EACCES); and, as a control that
 *   the probe can connect at all, it gets in once the test makes the socket 0666. Root bypasses file
 *   modes, so the probe runs as `nobody`; this part needs root (skipped otherwise, except in CI).
 * - Path-like ids never leave the jsonl data directory, and different ids never share a file.
 * - SQL- and Redis-command-looking strings are stored verbatim, as ids, titles, message content and
 *   metadata, on every backend there is.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { connect, RpcCallError, type Client } from "../../src/client/index.js";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { RedisBackend } from "../../src/backends/redis/index.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";
import { spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

// ---------------------------------------------------------------------------------------------
// Socket access

const isRoot = process.getuid?.() === 0;
const rootSkip = isRoot || process.env.CI === "true" ? false : "needs root to run a client as another uid (nobody)";
if (rootSkip) console.log(`# R4 socket access: skipped: ${rootSkip}`);

/** Tries to connect to `socket` as `nobody`; resolves "connected" or the error code. */
function connectAsNobody(socket: string): Promise<string> {
  const uid = Number(execFileSync("id", ["-u", "nobody"]).toString());
  const gid = Number(execFileSync("id", ["-g", "nobody"]).toString());
  const code = `const s=require("net").createConnection(process.argv[1]);s.on("connect",()=>{console.log("connected");s.destroy()});s.on("error",(e)=>console.log(e.code))`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ["-e", code, socket], { uid, gid, cwd: "/", timeout: 10_000 }, (err, stdout) =>
      err ? reject(new Error(`probe as nobody failed: ${err.message}`, { cause: err })) : resolve(stdout.trim()),
    ),
  );
}

describe("R4: socket access", { skip: rootSkip }, () => {
  test("the socket is 0600 in a 0700 directory, and another uid cannot connect", async (t) => {
    const root = tempDir(t);
    chmodSync(root, 0o755); // mkdtemp makes it 0700: open it, so that only the daemon's own modes stand in the way
    const runDir = join(root, "run");
    const socket = join(runDir, "agentstate.sock");
    await spawnDaemon(t, { socket });

    const dirStat = statSync(runDir);
    const sockStat = lstatSync(socket);
    assert.ok(sockStat.isSocket());
    assert.equal((dirStat.mode & 0o7777).toString(8), "700");
    assert.equal((sockStat.mode & 0o7777).toString(8), "600");
    assert.equal(sockStat.uid, process.getuid?.());
    assert.equal(dirStat.uid, process.getuid?.());

    assert.equal(await connectAsNobody(socket), "EACCES", "the 0700 directory must keep nobody out");
    chmodSync(runDir, 0o755);
    assert.equal(await connectAsNobody(socket), "EACCES", "the 0600 socket itself must keep nobody out");
    chmodSync(socket, 0o666);
    assert.equal(await connectAsNobody(socket), "connected", "control: with a 0666 socket the probe does get in");
    t.diagnostic("nobody: EACCES at the 0700 dir, EACCES at the 0600 socket in a 0755 dir, connects only once the test makes it 0666");
  });
});

// ---------------------------------------------------------------------------------------------
// Path-like ids on jsonl

const PATH_IDS = [
  "../../etc/passwd", "..", ".", "/abs/path", "a/../../b", "../../../../sibling/pwned", "../../../../../../../../tmp/agentstate-r4-escape",
  "..\\..\\windows", "%2e%2e%2fx", "~", "~root", "a/b", "a\\b", "/", "//", "./x", "x/.", "CON", "nul", "aux.txt", ".hidden", "-rf",
  "telegram:123", "telegram_123", "Telegram_123", "TELEGRAM:123", "a b", " ", "\u00a0", "\u2028", "\u202e", "e\u0301", "\u00e9",
  "\ufeff", "\uffff", "🦀", "x".repeat(256), "é".repeat(128), "🦀".repeat(64), "ａ／．．",
];

/** Every file and directory under `dir`, as paths relative to it (symlinks are reported, not followed). */
function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(relative(base, p) + (e.isSymbolicLink() ? " -> symlink" : ""));
    if (e.isDirectory()) walk(p, base, out);
  }
  return out;
}

test("R4: path-like ids never leave the jsonl data directory, and never share a file", { timeout: 60_000 }, async (t) => {
  const root = tempDir(t);
  const data = join(root, "d1", "d2", "d3", "data");
  const sibling = join(root, "sibling");
  mkdirSync(sibling, { recursive: true });
  mkdirSync(join(data, ".."), { recursive: true });
  writeFileSync(join(sibling, "canary"), "untouched");
  const socket = join(root, "run", "agentstate.sock");
  const outsideBefore = walk(root).filter((p) => !p.startsWith(relative(root, data)) && !p.startsWith("run") && !p.startsWith("config-home"));
  const escapeProbe = "/tmp/agentstate-r4-escape";
  const absBefore = existsSync("/abs");

  const daemon = await spawnDaemon(t, { socket, args: ["--backend", "jsonl", "--data-dir", data] });
  const c = await connect({ socket, timeoutMs: 20_000 });
  t.after(() => c.close());
  await createEverything(c, PATH_IDS);
  // Lone surrogates have no UTF-8 form, so they could not stay distinct on disk: they are refused as ids.
  for (const id of ["\ud800", "\udbff", "\udfff", "a\ud800b"]) {
    await assert.rejects(c.sessions.create({ id }), (e: RpcCallError) => e.rpcCode === -32602 && e.code === "INVALID_PARAMS");
  }
  await checkEverything(c, PATH_IDS);

  // The ids survive a restart and still map to distinct records.
  c.close();
  await daemon.kill("SIGTERM");
  await spawnDaemon(t, { socket, args: ["--backend", "jsonl", "--data-dir", data] });
  const c2 = await connect({ socket, timeoutMs: 20_000 });
  t.after(() => c2.close());
  await checkEverything(c2, PATH_IDS);

  const realData = realpathSync(data);
  const files = walk(data);
  for (const f of files) {
    assert.ok(!f.endsWith(" -> symlink"), `symlink in the data dir: ${f}`);
    const real = realpathSync(join(data, f));
    assert.ok(real === realData || real.startsWith(realData + sep), `${f} resolves outside the data dir: ${real}`);
  }
  const outsideAfter = walk(root).filter((p) => !p.startsWith(relative(root, data)) && !p.startsWith("run") && !p.startsWith("config-home"));
  assert.deepEqual(outsideAfter, outsideBefore, "files appeared next to the data directory");
  assert.deepEqual(readdirSync(sibling), ["canary"]);
  assert.equal(existsSync(escapeProbe), false);
  assert.equal(existsSync("/abs"), absBefore);
  t.diagnostic(`${PATH_IDS.length} path-like ids × sessions, groups, plans, jobs, changesets, invocations: ${files.length} entries in the data dir, none outside`);
});

/** A session (with a message), group, plan, job, changeset (with an entry) and invocation per id. */
async function createEverything(c: Client, ids: readonly string[]): Promise<void> {
  for (const id of ids) await createAll(c, id).catch((err: Error & { data?: unknown }) => {
    throw new Error(`id ${JSON.stringify(id)}: ${err.message} ${JSON.stringify(err.data)}`, { cause: err });
  });
}

async function createAll(c: Client, id: string): Promise<void> {
  {
    await c.sessions.create({ id, title: id, metadata: { id } });
    await c.messages.append({ sessionId: id, messages: [{ role: "user", content: id }] });
    await c.groups.put({ id, currentSessionId: id, metadata: { id } });
    await c.plans.save({ id, title: id, body: id });
    await c.jobs.save({ id, name: id, schedule: { cron: "0 0 1 1 *" }, action: { type: "event" }, payload: { id } });
    const cs = await c.changesets.start({ planId: id });
    await c.changesets.record({ changesetId: cs.id, entries: [{ path: id, operation: "modify", diff: id }] });
    await c.invocations.save({ id, planId: id, toolName: id, arguments: { id }, status: "succeeded" });
  }
}

async function checkEverything(c: Client, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const s = await c.sessions.get({ id });
    assert.equal(s.id, id);
    assert.equal(s.title, id);
    assert.deepEqual(s.metadata, { id });
    const msgs = await c.messages.list({ sessionId: id });
    assert.deepEqual(msgs.items.map((m) => m.content), [id], `messages of ${JSON.stringify(id)}`);
    assert.equal((await c.groups.get({ id })).currentSessionId, id);
    assert.equal((await c.plans.get({ id })).body, id);
    assert.deepEqual((await c.jobs.get({ id })).payload, { id });
    const sets = await c.changesets.listForPlan({ planId: id });
    assert.equal(sets.items.length, 1, `changesets of ${JSON.stringify(id)}`);
    assert.equal((await c.invocations.get({ id })).toolName, id);
  }
  const sessions = await c.sessions.list({ limit: 1000 });
  assert.deepEqual(new Set(sessions.items.map((s) => s.id)), new Set(ids), "every id is its own session");
}

// ---------------------------------------------------------------------------------------------
// Verbatim strings on every backend

const ID_STRINGS = [
  "'; DROP TABLE sessions; --", '" OR 1=1 --', "$1", "?", "%s", "' OR ''='", "1; DELETE FROM messages", "\\", "${x}", "*", "[a]", "{}", "agentstate:*",
  // Postgres transactions write values in as E'…' literals (docs/decisions/postgres-round-trips.md).
  "\\'; DROP TABLE sessions; --", "E'\\x41'", "$$; DROP TABLE sessions; $$",
];
const ANY_STRINGS = [...ID_STRINGS, "\r\nFLUSHALL\r\n", "*1\r\n$8\r\nFLUSHALL\r\n", "KEYS *\r\nDEL agentstate:sessions\r\n", "\\x00", "\t\n"];

async function verbatim(t: TestContext, c: Client): Promise<void> {
  for (const [i, s] of ANY_STRINGS.entries()) {
    const id = ID_STRINGS.includes(s) ? s : `v-${i}`;
    const metadata = { [s]: s, nested: [s, { [s]: [s] }] };
    const created = await c.sessions.create({ id, title: s, model: s, tags: [s], metadata });
    assert.equal(created.id, id);
    await c.messages.append({ sessionId: id, messages: [{ role: "user", content: s, [s]: s }] });
    await c.groups.put({ id, metadata });
    await c.plans.save({ id, title: s, body: s });
  }
  for (const [i, s] of ANY_STRINGS.entries()) {
    const id = ID_STRINGS.includes(s) ? s : `v-${i}`;
    const metadata = { [s]: s, nested: [s, { [s]: [s] }] };
    const got = await c.sessions.get({ id });
    assert.equal(got.id, id);
    assert.equal(got.title, s);
    assert.equal(got.model, s);
    assert.deepEqual(got.tags, [s]);
    assert.deepEqual(got.metadata, metadata);
    const msgs = await c.messages.list({ sessionId: id });
    assert.equal(msgs.items.length, 1);
    assert.equal(msgs.items[0]?.content, s);
    assert.equal(msgs.items[0]?.[s], s);
    assert.deepEqual((await c.groups.get({ id })).metadata, metadata);
    const plan = await c.plans.get({ id });
    assert.equal(plan.title, s);
    assert.equal(plan.body, s);
  }
  // Nothing was dropped or flushed: every record is still there.
  const all = await c.sessions.list({ limit: 1000 });
  assert.equal(all.items.length, ANY_STRINGS.length);
  assert.equal((await c.groups.list({ limit: 1000 })).items.length, ANY_STRINGS.length);
  t.diagnostic(`${ANY_STRINGS.length} strings stored and read back verbatim`);
}

const clock = () => new Date();
let n = 0;
const isolation = () => `r4_${process.pid}_${++n}`;

describe("R4: SQL- and Redis-looking strings are stored verbatim", () => {
  test("memory", async (t) => {
    const d = await startTestDaemon(t);
    await verbatim(t, await d.client());
  });

  test("jsonl", async (t) => {
    const d = await startTestDaemon(t, { backend: "jsonl" });
    await verbatim(t, await d.client());
  });

  test("sqlite", async (t) => {
    const dir = tempDir(t);
    const store = new SqliteBackend({ origin: "r4", now: clock, path: join(dir, "r4.sqlite") });
    const d = await startTestDaemon(t, { store: store });
    await verbatim(t, await d.client());
  });

  test("postgres", async (t) => {
    const why = await postgresUnavailable();
    if (why) return t.skip(why);
    const store = new PostgresBackend({ origin: "r4", now: clock, url: (await postgres()).url, schema: isolation() });
    const d = await startTestDaemon(t, { store: store });
    await verbatim(t, await d.client());
  });

  test("redis", async (t) => {
    let url: string;
    try {
      url = (await redis()).url;
    } catch (err) {
      if (process.env.CI === "true") throw err;
      return t.skip(`no redis-server: ${(err as Error).message}`);
    }
    const store = new RedisBackend({ origin: "r4", now: clock, url, prefix: `${isolation()}:` });
    const d = await startTestDaemon(t, { store: store });
    await verbatim(t, await d.client());
  });
});
