/** RPC-level behaviour of groups, plans and history: the errors a caller can cause, and the CLI verbs. */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { RpcCallError } from "../../src/client/errors.js";
import { runCli } from "../../src/client/cli/main.js";
import { startTestDaemon } from "../helpers/daemon.js";

async function rejectsWith(p: Promise<unknown>, rpcCode: number, code: string, issuePath?: string): Promise<RpcCallError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcCallError, `expected RpcCallError, got ${String(err)}`);
    assert.equal(err.rpcCode, rpcCode, err.message);
    assert.equal(err.code, code);
    if (issuePath !== undefined) {
      const issues = err.data?.issues as { path: string }[] | undefined;
      assert.ok(issues?.some((i) => i.path === issuePath), `issues ${JSON.stringify(issues)} name ${issuePath}`);
    }
    return err;
  }
  assert.fail(`expected ${code}`);
}

async function cli(t: TestContext, socket: string, argv: string[]) {
  let out = "";
  let err = "";
  const status = await runCli([...argv, "--socket", socket, "--no-autostart"], { out: (s) => void (out += s), err: (s) => void (err += s) });
  t.diagnostic(`agentstate ${argv.join(" ")} → ${status}`);
  return { status, out, err };
}

test("groups over RPC: defaults, NOT_FOUND, CONFLICT, INVALID_PARAMS", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const made = await c.groups.put({ currentSessionId: "s1" });
  assert.match(made.id, /^[0-9A-HJKMNP-TV-Z]{26}$/, "an omitted id is a ULID");
  await rejectsWith(c.groups.get({ id: "missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.groups.rollover({ id: "missing", newSessionId: "s" }), -32001, "NOT_FOUND");
  await rejectsWith(c.groups.delete({ id: "missing" }), -32001, "NOT_FOUND");
  const conflict = await rejectsWith(c.groups.put({ id: made.id, metadata: {}, expectedVersion: 5 }), -32002, "CONFLICT");
  assert.deepEqual([conflict.data?.expectedVersion, conflict.data?.actualVersion], [5, 1]);
  await rejectsWith(c.groups.rollover({ id: made.id, newSessionId: "s2", expectedVersion: 2 }), -32002, "CONFLICT");
  const bad = { id: "g", currentSessionId: 5 } as unknown as Parameters<typeof c.groups.put>[0];
  await rejectsWith(c.groups.put(bad), -32602, "INVALID_PARAMS", "/currentSessionId");
  const extra = { id: "g", colour: "red" } as unknown as Parameters<typeof c.groups.put>[0];
  await rejectsWith(c.groups.put(extra), -32602, "INVALID_PARAMS", "/colour");
  await rejectsWith(c.groups.rollover({ id: "g", newSessionId: "bad\nid" }), -32602, "INVALID_PARAMS", "/newSessionId");
  await rejectsWith(c.groups.list({ limit: 1001 }), -32602, "INVALID_PARAMS", "/limit");
  await rejectsWith(c.groups.list({ cursor: "nope" }), -32602, "INVALID_PARAMS", "/cursor");
  const rolled = await c.groups.rollover({ id: made.id, newSessionId: "s2", expectedVersion: 1 });
  assert.deepEqual([rolled.history, rolled.currentSessionId], [["s1"], "s2"]);
  assert.deepEqual(await c.groups.delete({ id: made.id }), { deleted: true });
});

test("plans over RPC: get by uri, defaults, NOT_FOUND, CONFLICT, INVALID_PARAMS", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const p = await c.plans.save({ title: "Refactor the parser", body: "# Steps\n" });
  assert.match(p.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(p.uri, `agentstate://plans/${p.id}`);
  assert.deepEqual(await c.plans.get({ uri: p.uri }), p);
  const odd = await c.plans.save({ id: "a/b c%", title: "odd" });
  assert.deepEqual(await c.plans.get({ uri: odd.uri }), odd);
  assert.deepEqual(await c.plans.get({ uri: "agentstate://plans/a/b c%" }), odd, "an unencoded uri works too");
  await rejectsWith(c.plans.get({ id: "missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.plans.get({ uri: "agentstate://plans/missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.plans.get({}), -32602, "INVALID_PARAMS", "/id");
  await rejectsWith(c.plans.get({ id: p.id, uri: p.uri }), -32602, "INVALID_PARAMS", "/uri");
  await rejectsWith(c.plans.get({ uri: "https://example.com/plans/x" }), -32602, "INVALID_PARAMS", "/uri");
  await rejectsWith(c.plans.get({ uri: "agentstate://plans/" }), -32602, "INVALID_PARAMS", "/uri");
  await rejectsWith(c.plans.save({ body: "no title" }), -32602, "INVALID_PARAMS", "/title");
  const badStatus = { id: p.id, status: "done" } as unknown as Parameters<typeof c.plans.save>[0];
  await rejectsWith(c.plans.save(badStatus), -32602, "INVALID_PARAMS", "/status");
  await rejectsWith(c.plans.save({ id: p.id, slug: "Not A Slug" }), -32602, "INVALID_PARAMS", "/slug");
  await rejectsWith(c.plans.save({ id: p.id, status: "approved", expectedVersion: 2 }), -32002, "CONFLICT");
  await rejectsWith(c.plans.delete({ id: p.id, expectedVersion: 2 }), -32002, "CONFLICT");
  await rejectsWith(c.plans.delete({ id: "missing" }), -32001, "NOT_FOUND");
  const listed = await c.plans.list({ status: "draft" });
  assert.deepEqual(listed.items.map((x) => x.id), [odd.id, p.id]);
  assert.equal(listed.nextCursor, null);
});

test("history over RPC: batches, paging and INVALID_PARAMS", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const commands = ["echo 'a\nb'", "C:\\dir\\x", "\tx", "🦊"];
  assert.deepEqual(await c.history.append({ entries: commands.map((command) => ({ command, host: "h" })) }), { firstSeq: 1, lastSeq: 4 });
  const page = await c.history.list({ limit: 3 });
  assert.deepEqual(page.items.map((e) => e.command), commands.slice(1));
  assert.ok(page.nextCursor);
  assert.deepEqual((await c.history.list({ cursor: page.nextCursor })).items.map((e) => e.command), commands.slice(0, 1));
  await rejectsWith(c.history.append({ entries: [] }), -32602, "INVALID_PARAMS", "/entries");
  const noCommand = { entries: [{ cwd: "/" }] } as unknown as Parameters<typeof c.history.append>[0];
  await rejectsWith(c.history.append(noCommand), -32602, "INVALID_PARAMS", "/entries/0/command");
  await rejectsWith(c.history.append({ entries: [{ command: "x", exitCode: 1.5 }] }), -32602, "INVALID_PARAMS", "/entries/0/exitCode");
  await rejectsWith(c.history.list({ limit: 0 }), -32602, "INVALID_PARAMS", "/limit");
  await rejectsWith(c.history.list({ beforeSeq: 0 }), -32602, "INVALID_PARAMS", "/beforeSeq");
  await rejectsWith(c.history.list({ contains: "" }), -32602, "INVALID_PARAMS", "/contains");
  await rejectsWith(c.history.list({ cursor: "%%%" }), -32602, "INVALID_PARAMS", "/cursor");
});

test("groups, plans and history over RPC: values over maxValueBytes are TOO_LARGE and store nothing", async (t) => {
  const d = await startTestDaemon(t, { maxValueBytes: 100 });
  const c = await d.client();
  const big = "x".repeat(200);
  await rejectsWith(c.groups.put({ id: "g", metadata: { big } }), -32003, "TOO_LARGE");
  await rejectsWith(c.groups.put({ id: "g", history: Array.from({ length: 20 }, (_, i) => `session-${i}`) }), -32003, "TOO_LARGE");
  await rejectsWith(c.groups.get({ id: "g" }), -32001, "NOT_FOUND");
  const tooLarge = await rejectsWith(c.plans.save({ id: "p", title: "t", body: big }), -32003, "TOO_LARGE");
  assert.equal(tooLarge.data?.limit, 100);
  await rejectsWith(c.plans.save({ id: "p", title: big }), -32003, "TOO_LARGE");
  await rejectsWith(c.plans.get({ id: "p" }), -32001, "NOT_FOUND");
  await rejectsWith(c.history.append({ entries: [{ command: "ok" }, { command: big }] }), -32003, "TOO_LARGE");
  assert.deepEqual(await c.history.list({}), { items: [], nextCursor: null });
});

test("cli: groups list and show", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  await c.groups.put({ id: "telegram:42", currentSessionId: "s1" });
  await c.groups.rollover({ id: "telegram:42", newSessionId: "s2" });
  const list = await cli(t, d.socket, ["groups", "list", "--json"]);
  assert.equal(list.status, 0, list.err);
  assert.deepEqual((JSON.parse(list.out) as { items: { id: string }[] }).items.map((g) => g.id), ["telegram:42"]);
  const human = await cli(t, d.socket, ["groups", "show", "telegram:42"]);
  assert.equal(human.status, 0, human.err);
  assert.match(human.out, /currentSessionId\s+s2/);
  assert.match(human.out, /^ {2}s1$/m);
  const json = await cli(t, d.socket, ["groups", "show", "telegram:42", "--json"]);
  assert.deepEqual(JSON.parse(json.out), await c.groups.get({ id: "telegram:42" }));
  const missing = await cli(t, d.socket, ["groups", "show", "nope"]);
  assert.equal(missing.status, 1);
  assert.match(missing.err, /NOT_FOUND/);
  assert.equal((await cli(t, d.socket, ["groups", "show"])).status, 2);
});

test("cli: plans show prints the Markdown body by id or uri; --json prints the record", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const body = "# Plan\n\n- step `one` \\ and\ttab\n";
  const p = await c.plans.save({ id: "p1", title: "Plan", body, sessionId: "s" });
  for (const ref of ["p1", p.uri]) {
    const shown = await cli(t, d.socket, ["plans", "show", ref]);
    assert.equal(shown.status, 0, shown.err);
    assert.equal(shown.out, body);
  }
  const json = await cli(t, d.socket, ["plans", "show", p.uri, "--json"]);
  assert.deepEqual(JSON.parse(json.out), p);
  const list = await cli(t, d.socket, ["plans", "list", "--session", "s", "--status", "draft"]);
  assert.equal(list.status, 0, list.err);
  assert.match(list.out, /^ID\s+STATUS\s+TITLE/);
  assert.match(list.out, /p1\s+draft\s+Plan/);
  assert.equal((await cli(t, d.socket, ["plans", "list", "--status", "done"])).status, 2);
});

test("cli: history --limit N lists the newest N, oldest first", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  await c.history.append({ entries: ["one", "two", "three\nline"].map((command) => ({ command })) });
  const json = await cli(t, d.socket, ["history", "--limit", "2", "--json"]);
  assert.equal(json.status, 0, json.err);
  assert.deepEqual((JSON.parse(json.out) as { items: { command: string }[] }).items.map((e) => e.command), ["two", "three\nline"]);
  const human = await cli(t, d.socket, ["history", "--contains", "o"]);
  assert.equal(human.status, 0, human.err);
  assert.deepEqual(human.out.trimEnd().split("\n").map((l) => l.split(/\s+/).pop()), ["COMMAND", "one", "two"]);
  assert.equal((await cli(t, d.socket, ["history", "--limit", "x"])).status, 2);
});
