/**
 * Conformance cases for graph checkpoints (SPEC §3.8), written from the store contract
 * (src/backends/contract/checkpoints.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, CheckpointPutInput, CheckpointStore, PutWritesInput } from "../../src/backends/contract.js";
import type { Change } from "../../src/domain/changes.js";
import type { CheckpointTuple } from "../../src/domain/checkpoints.js";
import type { Suite } from "./harness.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

const cp = (id: string, over: Partial<CheckpointPutInput> = {}): CheckpointPutInput => ({
  scope: "", threadId: "t1", ns: "", id, checkpoint: b64(`{"id":"${id}"}`), metadata: { source: "loop", step: 1 },
  channelVersions: {}, newValues: [], ...over,
});

const writes = (checkpointId: string, taskId: string, list: PutWritesInput["writes"], over: Partial<PutWritesInput> = {}): PutWritesInput => ({
  scope: "", threadId: "t1", ns: "", checkpointId, taskId, writes: list, ...over,
});

function store(b: Backend): CheckpointStore {
  return b.checkpoints;
}

async function listAll(s: CheckpointStore, q: Omit<Parameters<CheckpointStore["listCheckpoints"]>[0], "limit" | "cursor">, limit = 2): Promise<CheckpointTuple[]> {
  const out: CheckpointTuple[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await s.listCheckpoints({ ...q, limit, cursor });
    if (cursor !== undefined) assert.ok(page.items.length > 0, "never an empty page after a full one");
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    assert.equal(page.items.length, limit, "a page is full unless it is the last");
    cursor = page.nextCursor;
  }
}

const ids = (tuples: readonly CheckpointTuple[]) => tuples.map((t) => `${t.threadId}/${t.ns}/${t.id}`);
const checkpointChanges = async (b: Backend): Promise<Change[]> =>
  (await b.changes.since(undefined, 10_000)).changes.filter((c) => c.domain === "checkpoints");

export function checkpointsConformance(s: Suite): void {
  test("checkpoints: put then get returns every field as stored; an absent checkpoint is null", async (t) => {
    const f = await s.open(t);
    const st = store(f.backend);
    const at = f.clock.now().toISOString();
    const input = cp("c1", {
      scope: "app", threadId: "thread/../x", ns: "sub:ünï|deep:🦊", parentId: "c0", type: "json",
      metadata: { source: "input", step: -1, parents: {}, nested: { list: [1, "two", null] }, unicode: "ünï 🦊" },
      channelVersions: { messages: "1.5", counter: "3" },
    });
    const put = await st.putCheckpoint(input);
    assert.deepEqual(put, { id: "c1", createdAt: at, pruned: 0 });
    const got = await st.getCheckpoint({ scope: "app", threadId: "thread/../x", ns: "sub:ünï|deep:🦊", id: "c1" });
    assert.deepEqual(got, {
      scope: "app", threadId: "thread/../x", ns: "sub:ünï|deep:🦊", id: "c1", parentId: "c0", type: "json",
      checkpoint: input.checkpoint, metadata: input.metadata, channelVersions: input.channelVersions,
      channelValues: [], pendingWrites: [], createdAt: at,
    });
    assert.equal(await st.getCheckpoint({ scope: "app", threadId: "thread/../x", ns: "sub:ünï|deep:🦊", id: "nope" }), null);
    assert.equal(await st.getCheckpoint({ scope: "app", threadId: "other", ns: "" }), null);
    const bare = await st.putCheckpoint(cp("c2", { checkpoint: "" }));
    const got2 = await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: bare.id });
    assert.equal(got2?.checkpoint, "");
    assert.equal(got2?.parentId, undefined);
    assert.equal(got2?.type, undefined);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await store(b2).getCheckpoint({ scope: "app", threadId: "thread/../x", ns: "sub:ünï|deep:🦊" }), got);
    }
  });

  test("checkpoints: latest is the greatest id by code point, per scope, thread and ns", async (t) => {
    const st = store((await s.open(t)).backend);
    // U+E000 sorts below U+10000 by code point but above it by UTF-16 code unit.
    for (const id of ["1ef-b", "\u{E000}", "1ef-c", "\u{10000}", "1ef-a"]) await st.putCheckpoint(cp(id));
    await st.putCheckpoint(cp("zzz", { ns: "child" }));
    await st.putCheckpoint(cp("zzz", { threadId: "t2" }));
    await st.putCheckpoint(cp("zzz", { scope: "other" }));
    assert.equal((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "" }))?.id, "\u{10000}");
    assert.equal((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "child" }))?.id, "zzz");
    assert.equal((await st.getCheckpoint({ scope: "other", threadId: "t1", ns: "" }))?.id, "zzz");
    assert.equal(await st.getCheckpoint({ scope: "missing", threadId: "t1", ns: "" }), null);
  });

  test("checkpoints: a put of a stored key replaces it and keeps createdAt and its pending writes", async (t) => {
    const f = await s.open(t);
    const st = store(f.backend);
    const first = await st.putCheckpoint(cp("c1", { parentId: "p1", type: "json" }));
    await st.putWrites(writes("c1", "task", [{ idx: 0, channel: "a", value: b64("1") }]));
    f.clock.advance(5_000);
    await st.putCheckpoint(cp("c1", { parentId: "p2", type: "bytes", checkpoint: b64("second"), metadata: { v: 2 }, channelVersions: { a: "2" } }));
    const got = await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "c1" });
    assert.equal(got?.createdAt, first.createdAt);
    assert.equal(got?.parentId, "p2");
    assert.equal(got?.type, "bytes");
    assert.equal(got?.checkpoint, b64("second"));
    assert.deepEqual(got?.metadata, { v: 2 });
    assert.deepEqual(got?.channelVersions, { a: "2" });
    assert.equal(got?.pendingWrites.length, 1);
  });

  test("checkpoints: channel values are stored once per (channel, version), first wins, and read by every checkpoint naming them", async (t) => {
    const st = store((await s.open(t)).backend);
    await st.putCheckpoint(cp("c1", {
      channelVersions: { messages: "1", counter: "1", cleared: "1" },
      newValues: [
        { channel: "messages", version: "1", type: "json", value: b64('["hi"]') },
        { channel: "counter", version: "1", type: "json", value: b64("1") },
        { channel: "cleared", version: "1", type: "empty" },
      ],
    }));
    // c2 changes only counter; messages@1 comes from c1. A second value for messages@1 does not win.
    await st.putCheckpoint(cp("c2", {
      parentId: "c1",
      channelVersions: { messages: "1", counter: "2", never: "9" },
      newValues: [
        { channel: "counter", version: "2", type: "json", value: b64("2") },
        { channel: "messages", version: "1", type: "json", value: b64('["overwritten?"]') },
      ],
    }));
    const c1 = await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "c1" });
    assert.deepEqual(c1?.channelValues, [
      { channel: "cleared", version: "1", type: "empty" },
      { channel: "counter", version: "1", type: "json", value: b64("1") },
      { channel: "messages", version: "1", type: "json", value: b64('["hi"]') },
    ]);
    const c2 = await st.getCheckpoint({ scope: "", threadId: "t1", ns: "" });
    assert.deepEqual(c2?.channelValues, [
      { channel: "counter", version: "2", type: "json", value: b64("2") },
      { channel: "messages", version: "1", type: "json", value: b64('["hi"]') },
    ]);
    // Values belong to their thread namespace: the same pair elsewhere is not visible.
    await st.putCheckpoint(cp("c3", { ns: "child", channelVersions: { messages: "1" } }));
    await st.putCheckpoint(cp("c3", { threadId: "t2", channelVersions: { messages: "1" } }));
    await st.putCheckpoint(cp("c3", { scope: "s2", channelVersions: { messages: "1" } }));
    for (const key of [{ scope: "", threadId: "t1", ns: "child" }, { scope: "", threadId: "t2", ns: "" }, { scope: "s2", threadId: "t1", ns: "" }]) {
      assert.deepEqual((await st.getCheckpoint(key))?.channelValues, [], JSON.stringify(key));
    }
  });

  test("checkpoints: pending writes — repeats ignored, special writes (idx < 0) replace, writesSortKey order", async (t) => {
    const st = store((await s.open(t)).backend);
    // Writes may arrive before their checkpoint: they are stored and show up with it.
    assert.deepEqual(await st.putWrites(writes("c1", "task-b", [{ idx: 0, channel: "x", type: "json", value: b64("b0") }, { idx: 10, channel: "x", value: b64("b10") }, { idx: 2, channel: "y", value: b64("b2") }])), { stored: 3 });
    await st.putCheckpoint(cp("c1"));
    assert.deepEqual(await st.putWrites(writes("c1", "task-a", [{ idx: 0, channel: "x", value: b64("a0") }], { taskPath: "~p, 2" })), { stored: 1 });
    assert.deepEqual(await st.putWrites(writes("c1", "task-b", [{ idx: 0, channel: "x", value: b64("again") }])), { stored: 0 }, "a repeat is ignored");
    assert.deepEqual(await st.putWrites(writes("c1", "task-b", [{ idx: -1, channel: "__error__", type: "json", value: b64("e1") }])), { stored: 1 });
    assert.deepEqual(await st.putWrites(writes("c1", "task-b", [{ idx: -1, channel: "__error__", type: "json", value: b64("e2") }])), { stored: 1 }, "a special write replaces");
    await st.putWrites(writes("c1", "task-\u{10000}", [{ idx: 0, channel: "z", value: b64("astral") }]));
    await st.putWrites(writes("c1", "task-\u{E000}", [{ idx: 0, channel: "z", value: b64("bmp") }]));
    await st.putWrites(writes("c1", "task-a", [{ idx: 0, channel: "x", value: b64("other ns") }], { ns: "child" }));
    const got = await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "c1" });
    assert.deepEqual(got?.pendingWrites, [
      // taskPath absent sorts as "": first; then taskId by code point, idx numerically
      { taskId: "task-b", idx: -1, channel: "__error__", type: "json", value: b64("e2") },
      { taskId: "task-b", idx: 0, channel: "x", type: "json", value: b64("b0") },
      { taskId: "task-b", idx: 2, channel: "y", value: b64("b2") },
      { taskId: "task-b", idx: 10, channel: "x", value: b64("b10") },
      { taskId: "task-\u{E000}", idx: 0, channel: "z", value: b64("bmp") },
      { taskId: "task-\u{10000}", idx: 0, channel: "z", value: b64("astral") },
      { taskId: "task-a", idx: 0, channel: "x", value: b64("a0"), taskPath: "~p, 2" },
    ]);
  });

  test("checkpoints: list is newest first across threads (ties: threadId, then ns, descending) and pages without gaps", async (t) => {
    const st = store((await s.open(t)).backend);
    await st.putCheckpoint(cp("05", { threadId: "a" }));
    await st.putCheckpoint(cp("03", { threadId: "b" }));
    await st.putCheckpoint(cp("07", { threadId: "a", ns: "child" }));
    await st.putCheckpoint(cp("05", { threadId: "b" }));
    await st.putCheckpoint(cp("05", { threadId: "b", ns: "child" }));
    await st.putCheckpoint(cp("01", { threadId: "a" }));
    await st.putCheckpoint(cp("09", { threadId: "a", scope: "elsewhere" }));
    const expected = ["a/child/07", "b/child/05", "b//05", "a//05", "b//03", "a//01"];
    assert.deepEqual(ids(await listAll(st, { scope: "" }, 1000)), expected);
    for (const limit of [1, 2, 4]) assert.deepEqual(ids(await listAll(st, { scope: "" }, limit)), expected, `limit ${limit}`);
    assert.deepEqual(ids(await listAll(st, { scope: "", threadId: "a" })), ["a/child/07", "a//05", "a//01"]);
    assert.deepEqual(ids(await listAll(st, { scope: "", threadId: "a", ns: "" })), ["a//05", "a//01"]);
    assert.deepEqual(ids(await listAll(st, { scope: "", ns: "child" })), ["a/child/07", "b/child/05"]);
    assert.deepEqual(ids(await listAll(st, { scope: "", before: "05" })), ["b//03", "a//01"]);
    assert.deepEqual(ids(await listAll(st, { scope: "elsewhere" })), ["a//09"]);
    assert.deepEqual(ids(await listAll(st, { scope: "", threadId: "nobody" })), []);
    await assert.rejects(st.listCheckpoints({ scope: "", limit: 5, cursor: "not-a-cursor-this-store-made" }), (e: unknown) => (e as { code?: string }).code === "INVALID_PARAMS");
  });

  test("checkpoints: list items carry their channel values and pending writes", async (t) => {
    const st = store((await s.open(t)).backend);
    await st.putCheckpoint(cp("c1", { channelVersions: { a: "1" }, newValues: [{ channel: "a", version: "1", type: "json", value: b64("1") }] }));
    await st.putWrites(writes("c1", "task", [{ idx: 0, channel: "a", value: b64("w") }]));
    const [item] = await listAll(st, { scope: "" });
    assert.deepEqual(item, await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "c1" }));
    assert.equal(item.channelValues.length, 1);
    assert.equal(item.pendingWrites.length, 1);
  });

  test("checkpoints: list filter — each key present in metadata with an equal JSON value", async (t) => {
    const st = store((await s.open(t)).backend);
    await st.putCheckpoint(cp("1", { metadata: { source: "input", step: -1, parents: {}, tags: ["a", "b"], user: { id: 7, name: "x" }, gone: null } }));
    await st.putCheckpoint(cp("2", { metadata: { source: "loop", step: 0, parents: { "": "1" }, tags: ["b", "a"], user: { name: "x", id: 7 } } }));
    await st.putCheckpoint(cp("3", { metadata: { source: "loop", step: 1.0, parents: { "": "2" }, user: { id: 7 } } }));
    const match = async (filter: Record<string, unknown>) => (await listAll(st, { scope: "", filter })).map((x) => x.id);
    assert.deepEqual(await match({}), ["3", "2", "1"]);
    assert.deepEqual(await match({ source: "loop" }), ["3", "2"]);
    assert.deepEqual(await match({ source: "loop", step: 1 }), ["3"]);
    assert.deepEqual(await match({ user: { id: 7, name: "x" } }), ["2", "1"], "object key order does not matter; no partial match");
    assert.deepEqual(await match({ tags: ["a", "b"] }), ["1"], "array order matters");
    assert.deepEqual(await match({ parents: {} }), ["1"]);
    assert.deepEqual(await match({ gone: null }), ["1"], "null matches a stored null only");
    assert.deepEqual(await match({ absent: null }), []);
    assert.deepEqual(await match({ source: "update" }), []);
    assert.deepEqual(ids(await listAll(st, { scope: "", filter: { source: "loop" }, before: "3" })), ["t1//2"]);
  });

  test("checkpoints: deleteThread removes the thread's checkpoints, values and writes in every ns of its scope only", async (t) => {
    const f = await s.open(t);
    const st = store(f.backend);
    const value = { channel: "a", version: "1", type: "json", value: b64("1") };
    for (const key of [{}, { ns: "child" }, { threadId: "t2" }, { scope: "s2" }]) {
      await st.putCheckpoint(cp("c1", { ...key, channelVersions: { a: "1" }, newValues: [value] }));
      await st.putWrites(writes("c1", "task", [{ idx: 0, channel: "a", value: b64("w") }], key));
    }
    await st.putWrites(writes("orphan", "task", [{ idx: 0, channel: "a", value: b64("w") }]));
    assert.deepEqual(await st.deleteThread("", "t1"), { deleted: 2 });
    assert.equal(await st.getCheckpoint({ scope: "", threadId: "t1", ns: "" }), null);
    assert.equal(await st.getCheckpoint({ scope: "", threadId: "t1", ns: "child" }), null);
    // Nothing of the old thread comes back with a new checkpoint of the same key.
    await st.putCheckpoint(cp("c1", { channelVersions: { a: "1" } }));
    await st.putCheckpoint(cp("orphan"));
    assert.deepEqual((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "c1" }))?.channelValues, []);
    assert.deepEqual((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "c1" }))?.pendingWrites, []);
    assert.deepEqual((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "orphan" }))?.pendingWrites, []);
    for (const key of [{ scope: "", threadId: "t2", ns: "" }, { scope: "s2", threadId: "t1", ns: "" }]) {
      const kept = await st.getCheckpoint(key);
      assert.equal(kept?.channelValues.length, 1, JSON.stringify(key));
      assert.equal(kept?.pendingWrites.length, 1, JSON.stringify(key));
    }
    assert.deepEqual(await st.deleteThread("", "unknown"), { deleted: 0 });
  });

  test("checkpoints: keepLast keeps the newest N of the thread namespace with what they use, in the same write", async (t) => {
    const st = store((await s.open(t)).backend);
    const v = (channel: string, version: string) => ({ channel, version, type: "json", value: b64(`${channel}@${version}`) });
    await st.putCheckpoint(cp("1", { channelVersions: { a: "1", b: "1" }, newValues: [v("a", "1"), v("b", "1")] }));
    await st.putCheckpoint(cp("2", { channelVersions: { a: "1", b: "2" }, newValues: [v("b", "2")] }));
    await st.putWrites(writes("1", "task", [{ idx: 0, channel: "a", value: b64("w1") }]));
    await st.putCheckpoint(cp("1", { ns: "child" }));
    const r = await st.putCheckpoint(cp("3", { channelVersions: { a: "1", b: "3" }, newValues: [v("b", "3")], keepLast: 2 }));
    assert.equal(r.pruned, 1);
    assert.deepEqual(ids(await listAll(st, { scope: "" })), ["t1//3", "t1//2", "t1/child/1"]);
    // a@1 is still named by kept checkpoints; b@1 was named only by the removed one.
    await st.putCheckpoint(cp("4", { channelVersions: { a: "1", b: "1" } }));
    assert.deepEqual((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "4" }))?.channelValues, [v("a", "1")]);
    // The removed checkpoint's writes went with it.
    await st.putCheckpoint(cp("1"));
    assert.deepEqual((await st.getCheckpoint({ scope: "", threadId: "t1", ns: "", id: "1" }))?.pendingWrites, []);
    // The new checkpoint counts even when older than the kept ones.
    const old = await st.putCheckpoint(cp("0", { keepLast: 3 }));
    assert.equal(old.pruned, 2, "0 and 1 go");
    assert.deepEqual(ids(await listAll(st, { scope: "", ns: "" })), ["t1//4", "t1//3", "t1//2"]);
  });

  test("checkpoints: concurrent puts with keepLast on one thread never leave a kept checkpoint without a value it names", async (t) => {
    const f = await s.open(t);
    const stores = [f.backend, ...(s.caps.shared ? [await f.another(), await f.another()] : [])].map(store);
    // Two kinds of checkpoint, interleaved in id order: one names x@P, the other x@Q; each stores
    // its value (unless stored). A put whose retention drops the last checkpoint naming x@P drops
    // x@P too, so a concurrent put of a P checkpoint it did not see would lose its value.
    const value = (version: string) => ({ channel: "x", version, type: "json", value: b64(version) });
    const puts = Array.from({ length: 24 }, (_, i) => {
      const version = i % 2 === 0 ? "P" : "Q";
      return cp(`${String(i).padStart(2, "0")}-${version}`, { channelVersions: { x: version }, newValues: [value(version)], keepLast: 2 });
    });
    await Promise.all(puts.map((input, i) => stores[i % stores.length].putCheckpoint(input)));
    const kept = await listAll(stores[0], { scope: "", threadId: "t1" }, 10);
    assert.equal(kept.length, 2);
    for (const k of kept) assert.deepEqual(k.channelValues, [value(k.channelVersions.x)], k.id);
  });

  test("checkpoints: changes — saved for put and stored writes, deleted for deleteThread and retention; never bytes", async (t) => {
    const { backend: b } = await s.open(t);
    const st = store(b);
    await st.putCheckpoint(cp("c1", { scope: "app", checkpoint: b64("SECRET-STATE") }));
    await st.putCheckpoint(cp("c2", { scope: "app", parentId: "c1", ns: "child" }));
    await st.putWrites(writes("c2", "task", [{ idx: 0, channel: "a", value: b64("SECRET-WRITE") }, { idx: 1, channel: "b", value: b64("x") }], { scope: "app", ns: "child" }));
    await st.putWrites(writes("c2", "task", [{ idx: 0, channel: "a", value: b64("again") }], { scope: "app", ns: "child" }));
    await st.putCheckpoint(cp("c3", { scope: "app", parentId: "c1", keepLast: 1 }));
    await st.deleteThread("app", "nobody");
    await st.deleteThread("app", "t1");
    const changes = await checkpointChanges(b);
    assert.deepEqual(changes.map((c) => [c.type, c.id, c.data]), [
      ["checkpoint.saved", "t1", { scope: "app", ns: "", checkpointId: "c1" }],
      ["checkpoint.saved", "t1", { scope: "app", ns: "child", checkpointId: "c2", parentId: "c1" }],
      ["checkpoint.saved", "t1", { scope: "app", ns: "child", checkpointId: "c2", taskId: "task", writes: 2 }],
      ["checkpoint.saved", "t1", { scope: "app", ns: "", checkpointId: "c3", parentId: "c1" }],
      ["checkpoint.deleted", "t1", { scope: "app", ns: "", removed: 1, through: "c1" }],
      ["checkpoint.deleted", "t1", { scope: "app", removed: 2 }],
    ]);
    const text = JSON.stringify(changes);
    assert.ok(!text.includes(b64("SECRET-STATE")) && !text.includes(b64("SECRET-WRITE")), "change data never carries bytes");
  });

  test("checkpoints: threads and exportThread give every record of every scope; restore.checkpointThread writes a thread back as it was, replacing what it held", async (t) => {
    const f = await s.open(t);
    const st = store(f.backend);
    const value = { channel: "a", version: "1", type: "json", value: b64("1") };
    const empty = { channel: "b", version: "2", type: "empty" };
    const created = f.clock.now().toISOString();
    await st.putCheckpoint(cp("c1", { scope: "app", type: "json", channelVersions: { a: "1", b: "2" }, newValues: [value, empty] }));
    f.clock.advance(60_000);
    await st.putCheckpoint(cp("c2", { scope: "app", ns: "child:ü", parentId: "c1", metadata: { nested: { x: [1, null] } } }));
    await st.putWrites(writes("c2", "task", [{ idx: 0, channel: "a", value: b64("w") }, { idx: -1, channel: "__error__", type: "json", value: b64("e") }], { scope: "app", ns: "child:ü", taskPath: "~root" }));
    await st.putWrites(writes("never-stored", "task", [{ idx: 0, channel: "a", value: b64("orphan") }], { scope: "app" }));
    await st.putCheckpoint(cp("c1", { threadId: "t2" }));
    await st.putCheckpoint(cp("gone", { threadId: "t3" }));
    await st.deleteThread("", "t3");

    const threads = await st.threads();
    const named = threads.map((x) => `${x.scope}/${x.threadId}`);
    assert.deepEqual(named.filter((n) => n !== "/t3"), ["/t2", "app/t1"], "ascending by (scope, threadId); a deleted thread at most named, never exported");
    assert.equal(await st.exportThread("", "t3"), null);
    assert.equal(await st.exportThread("app", "unknown"), null);
    const exported = await st.exportThread("app", "t1");
    assert.ok(exported);
    assert.deepEqual(exported.checkpoints.map((c) => [c.ns, c.id, c.createdAt]), [["", "c1", created], ["child:ü", "c2", new Date(Date.parse(created) + 60_000).toISOString()]]);
    assert.deepEqual(exported.values, [{ ...value, ns: "" }, { ...empty, ns: "" }]);
    assert.deepEqual(exported.writes.map((w) => [w.ns, w.checkpointId, w.taskId, w.idx, w.taskPath]), [
      ["", "never-stored", "task", 0, undefined],
      ["child:ü", "c2", "task", -1, "~root"],
      ["child:ü", "c2", "task", 0, "~root"],
    ]);

    // Restored over a thread that holds other records: afterwards it holds exactly the export.
    f.clock.advance(60_000);
    await st.deleteThread("app", "t1");
    await st.putCheckpoint(cp("stale", { scope: "app", channelVersions: { z: "9" }, newValues: [{ channel: "z", version: "9", type: "json", value: b64("z") }] }));
    await f.backend.restore.checkpointThread(exported);
    assert.deepEqual(await st.exportThread("app", "t1"), exported);
    assert.deepEqual(await st.getCheckpoint({ scope: "app", threadId: "t1", ns: "child:ü" }), {
      ...exported.checkpoints[1], channelValues: [],
      pendingWrites: exported.writes.filter((w) => w.checkpointId === "c2").map(({ ns: _n, checkpointId: _c, ...w }) => w),
    });
    await f.backend.restore.checkpointThread(exported); // a resumed copy restores it again: still one copy
    assert.deepEqual(await st.exportThread("app", "t1"), exported);
    const last = (await checkpointChanges(f.backend)).at(-1);
    assert.deepEqual([last?.type, last?.id, last?.data], ["checkpoint.saved", "t1", { scope: "app", restored: true, checkpoints: 2 }]);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await store(b2).exportThread("app", "t1"), exported);
    }
  });
}
