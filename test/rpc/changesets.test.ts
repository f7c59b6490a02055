/** Changesets and invocations over the socket: result shapes, every caller-caused error, the CLI. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RpcCallError } from "../../src/client/errors.js";
import { runCli } from "../../src/client/cli/main.js";
import { startTestDaemon } from "../helpers/daemon.js";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Runs `p`, which must fail with an RpcCallError; returns it. */
async function rpcError(p: Promise<unknown>): Promise<RpcCallError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcCallError, `expected RpcCallError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}

async function expectError(p: Promise<unknown>, rpcCode: number, code: string): Promise<RpcCallError> {
  const e = await rpcError(p);
  assert.equal(e.rpcCode, rpcCode, e.message);
  assert.equal(e.code, code, e.message);
  return e;
}

/** INVALID_PARAMS whose data.issues names `path`. */
async function expectInvalid(p: Promise<unknown>, path: string): Promise<void> {
  const e = await expectError(p, -32602, "INVALID_PARAMS");
  const issues = e.data?.issues as { path: string; message: string }[];
  assert.ok(issues.some((i) => i.path === path), `issues ${JSON.stringify(issues)} should name ${path}`);
}

test("changesets rpc: start, record, get, summarize, setStatus and list round trip", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const cs = await c.changesets.start({ planId: "plan-1" });
  assert.match(cs.id, ULID);
  assert.deepEqual([cs.planId, cs.status], ["plan-1", "open"]);
  const r = await c.changesets.record({
    changesetId: cs.id,
    entries: [
      { path: "src/a.ts", operation: "create", afterHash: "sha256:aa", diff: "--- /dev/null\n+++ b/src/a.ts\n@@ -0,0 +1 @@\n+x\n" },
      { path: "src/b.ts", operation: "rename", fromPath: "src/old.ts" },
    ],
  });
  assert.deepEqual([r.changesetId, r.firstSeq, r.lastSeq], [cs.id, 1, 2]);
  assert.ok(r.entryIds.length === 2 && r.entryIds.every((id) => ULID.test(id)));
  const got = await c.changesets.get({ id: cs.id });
  assert.deepEqual(got.entries.map((e) => [e.id, e.seq, e.operation, e.planId]), [
    [r.entryIds[0], 1, "create", "plan-1"],
    [r.entryIds[1], 2, "rename", "plan-1"],
  ]);
  assert.deepEqual(await c.changesets.summarize({ id: cs.id }), {
    id: cs.id, planId: "plan-1", status: "open", entries: 2,
    operations: { create: 1, modify: 0, delete: 0, rename: 1 }, paths: ["src/a.ts", "src/b.ts", "src/old.ts"],
  });
  assert.equal((await c.changesets.setStatus({ id: cs.id, status: "applied" })).status, "applied");
  const page = await c.changesets.listForPlan({ planId: "plan-1" });
  assert.deepEqual(page.items.map((x) => [x.id, x.status]), [[cs.id, "applied"]]);
  assert.equal(page.nextCursor, null);
  const inv = await c.invocations.save({
    planId: "plan-1", toolName: "write", arguments: { path: "src/a.ts" }, status: "succeeded",
    startedAt: "2026-03-01T14:00:00+02:00", finishedAt: "2026-03-01T12:00:00.250Z", changeIds: [r.entryIds[0]],
  });
  assert.match(inv.id, ULID);
  assert.deepEqual([inv.startedAt, inv.finishedAt, inv.durationMs], ["2026-03-01T12:00:00.000Z", "2026-03-01T12:00:00.250Z", 250]);
  assert.deepEqual(await c.invocations.get({ id: inv.id }), inv);
  assert.deepEqual((await c.invocations.listForPlan({ planId: "plan-1", limit: 5 })).items, [inv]);
  assert.deepEqual(await c.invocations.deleteForPlan({ planId: "plan-1" }), { invocations: 1 });
  assert.deepEqual(await c.changesets.deleteForPlan({ planId: "plan-1" }), { changesets: 1, entries: 2 });
});

test("changesets rpc: missing records are NOT_FOUND (-32001)", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const e = await expectError(c.changesets.get({ id: "nope" }), -32001, "NOT_FOUND");
  assert.deepEqual([e.data?.kind, e.data?.id], ["changeset", "nope"]);
  await expectError(c.changesets.record({ changesetId: "nope", entries: [{ path: "a", operation: "modify" }] }), -32001, "NOT_FOUND");
  await expectError(c.changesets.summarize({ id: "nope" }), -32001, "NOT_FOUND");
  await expectError(c.changesets.setStatus({ id: "nope", status: "applied" }), -32001, "NOT_FOUND");
  const i = await expectError(c.invocations.get({ id: "nope" }), -32001, "NOT_FOUND");
  assert.equal(i.data?.kind, "invocation");
});

test("changesets rpc: forbidden transitions and writes to a closed changeset are INVALID_STATE (-32006)", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const cs = await c.changesets.start({ planId: "p" });
  await c.changesets.setStatus({ id: cs.id, status: "discarded" });
  const e = await expectError(c.changesets.setStatus({ id: cs.id, status: "applied" }), -32006, "INVALID_STATE");
  assert.deepEqual([e.data?.status, e.data?.requested], ["discarded", "applied"]);
  await expectError(c.changesets.setStatus({ id: cs.id, status: "open" }), -32006, "INVALID_STATE");
  await expectError(c.changesets.record({ changesetId: cs.id, entries: [{ path: "a", operation: "create" }] }), -32006, "INVALID_STATE");
  assert.equal((await c.changesets.setStatus({ id: cs.id, status: "discarded" })).status, "discarded");
});

test("changesets rpc: bad params are INVALID_PARAMS (-32602) naming the field", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const cs = await c.changesets.start({ planId: "p" });
  const record = (entries: unknown[]) => c.call("changesets.record", { changesetId: cs.id, entries } as never);
  await expectInvalid(record([{ path: "a", operation: "chmod" }]), "/entries/0/operation");
  await expectInvalid(record([{ path: "a", operation: "modify" }, { path: "", operation: "modify" }]), "/entries/1/path");
  await expectInvalid(record([{ path: "a", operation: "modify", colour: "red" }]), "/entries/0/colour");
  await expectInvalid(record([]), "/entries");
  await expectInvalid(record([{ path: "a", operation: "modify" }, { path: "b", operation: "rename" }]), "/entries/1/fromPath");
  await expectInvalid(record([{ path: "a", operation: "modify", fromPath: "z" }]), "/entries/0/fromPath");
  assert.deepEqual((await c.changesets.get({ id: cs.id })).entries, [], "a rejected record writes nothing");
  await expectInvalid(c.call("changesets.start", {} as never), "/planId");
  await expectInvalid(c.call("changesets.start", { planId: "" }), "/planId");
  await expectInvalid(c.call("changesets.setStatus", { id: cs.id, status: "merged" } as never), "/status");
  await expectInvalid(c.call("changesets.listForPlan", { planId: "p", limit: 0 }), "/limit");
  await expectInvalid(c.call("changesets.listForPlan", { planId: "p", cursor: "not-ours" }), "/cursor");
  const base = { planId: "p", toolName: "t", arguments: {} };
  await expectInvalid(c.call("invocations.save", { ...base, status: "done" } as never), "/status");
  await expectInvalid(c.call("invocations.save", { planId: "p", toolName: "t", status: "running" } as never), "/arguments");
  await expectInvalid(c.call("invocations.save", { ...base, status: "running", finishedAt: "2026-03-01T12:00:00.000Z" }), "/finishedAt");
  await expectInvalid(
    c.call("invocations.save", { ...base, status: "failed", startedAt: "2026-03-01T12:00:01.000Z", finishedAt: "2026-03-01T12:00:00.000Z" }),
    "/finishedAt",
  );
  await expectInvalid(c.call("invocations.save", { ...base, status: "running", startedAt: "yesterday" }), "/startedAt");
  await expectInvalid(c.call("invocations.save", { ...base, status: "running", changeIds: [""] }), "/changeIds/0");
});

test("changesets rpc: an invocation moved to another plan is CONFLICT (-32002)", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  await c.invocations.save({ id: "toolu_1", planId: "p1", toolName: "t", arguments: null, status: "running" });
  const e = await expectError(
    c.invocations.save({ id: "toolu_1", planId: "p2", toolName: "t", arguments: null, status: "succeeded" }),
    -32002,
    "CONFLICT",
  );
  assert.equal(e.data?.planId, "p1");
});

test("changesets rpc: values over maxValueBytes are TOO_LARGE (-32003) and store nothing", async (t) => {
  const d = await startTestDaemon(t, { maxValueBytes: 100 });
  const c = await d.client();
  const big = "x".repeat(200);
  const cs = await c.changesets.start({ planId: "p" });
  const e = await expectError(
    c.changesets.record({ changesetId: cs.id, entries: [{ path: "a", operation: "modify", diff: "small" }, { path: "b", operation: "modify", diff: big }] }),
    -32003,
    "TOO_LARGE",
  );
  assert.deepEqual([e.data?.what, e.data?.limit], ["entries[1].diff", 100]);
  assert.deepEqual((await c.changesets.get({ id: cs.id })).entries, []);
  const base = { id: "i", planId: "p", toolName: "t", arguments: {}, status: "succeeded" as const };
  for (const [field, value] of [["arguments", { big }], ["result", big], ["providerMetadata", { big }], ["error", big]] as const) {
    const err = await expectError(c.invocations.save({ ...base, [field]: value }), -32003, "TOO_LARGE");
    assert.equal(err.data?.what, field);
  }
  await expectError(c.invocations.get({ id: "i" }), -32001, "NOT_FOUND");
});

test("changesets cli: show --json prints the records; without it, a table per changeset", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const planId = "../plans/odd:id";
  const first = await c.changesets.start({ planId });
  await c.changesets.record({
    changesetId: first.id,
    entries: [
      { path: "src/new.ts", operation: "create", diff: "+line\n" },
      { path: "src/renamed.ts", operation: "rename", fromPath: "src/was.ts" },
    ],
  });
  await c.changesets.setStatus({ id: first.id, status: "applied" });
  const empty = await c.changesets.start({ planId });
  await c.changesets.start({ planId: "another-plan" });

  const run = async (...extra: string[]) => {
    let out = "";
    let err = "";
    const code = await runCli(["changesets", "show", planId, "--socket", d.socket, "--no-autostart", ...extra], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
    });
    return { code, out, err };
  };

  const json = await run("--json");
  assert.equal(json.code, 0, json.err);
  const records = JSON.parse(json.out) as { id: string; status: string; entries: { seq: number; path: string; diff?: string }[] }[];
  assert.deepEqual(records, [await c.changesets.get({ id: first.id }), await c.changesets.get({ id: empty.id })]);

  const human = await run();
  assert.equal(human.code, 0, human.err);
  const lines = human.out.split("\n");
  assert.match(lines[0], new RegExp(`^changeset ${first.id}  applied  2 entries  created \\S+  updated \\S+$`));
  assert.match(lines[1], /^SEQ\s+OPERATION\s+PATH\s+FROM$/);
  assert.match(lines[2], /^1\s+create\s+src\/new\.ts$/);
  assert.match(lines[3], /^2\s+rename\s+src\/renamed\.ts\s+src\/was\.ts$/);
  assert.ok(human.out.includes(`changeset ${empty.id}  open  0 entries`));
  assert.ok(!human.out.includes("+line"), "the table leaves diffs out");

  const none = await runCli(["changesets", "show", "no-such-plan", "--socket", d.socket, "--no-autostart"], {
    out: (s) => assert.equal(s, "no changesets for plan no-such-plan\n"),
    err: () => undefined,
  });
  assert.equal(none, 0);
});
