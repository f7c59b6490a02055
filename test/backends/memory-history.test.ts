/** History retention with a small configured limit (the conformance factory uses the default). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { TestClock } from "../helpers/clock.js";

const open = (historyEntries: number) => new MemoryBackend({ origin: "t", now: new TestClock().now, retention: { historyEntries } });

test("memory history: retention.historyEntries keeps the newest N after each append", async () => {
  const b = open(3);
  await b.history.append([{ command: "1" }, { command: "2" }]);
  await b.history.append([{ command: "3" }, { command: "4" }]);
  assert.deepEqual((await b.history.list({ limit: 10 })).items.map((e) => [e.seq, e.command]), [[2, "2"], [3, "3"], [4, "4"]]);
  assert.deepEqual(await b.history.append([{ command: "5" }]), { firstSeq: 5, lastSeq: 5 });
  const { items, nextCursor } = await b.history.list({ limit: 2 });
  assert.deepEqual(items.map((e) => e.seq), [4, 5]);
  assert.deepEqual((await b.history.list({ limit: 2, cursor: nextCursor ?? undefined })), { items: [{ seq: 3, command: "3", createdAt: items[0].createdAt }], nextCursor: null });
});

test("memory history: a batch larger than the retention keeps only its newest entries", async () => {
  const b = open(2);
  assert.deepEqual(await b.history.append(["a", "b", "c", "d"].map((command) => ({ command }))), { firstSeq: 1, lastSeq: 4 });
  assert.deepEqual((await b.history.list({ limit: 10 })).items.map((e) => e.command), ["c", "d"]);
  const changes = (await b.changes.since(undefined, 10)).changes;
  assert.equal(changes.length, 1);
  assert.deepEqual(changes[0].data, { firstSeq: 1, lastSeq: 4 });
});
