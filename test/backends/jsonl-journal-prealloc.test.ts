/**
 * The jsonl journal is zero-filled ahead of its lines (src/backends/jsonl/journal.ts,
 * Preallocation), so a line's fdatasync changes no file size. What must hold: appends do not grow
 * the file line by line; the lines end at the first NUL, so a crash that leaves zeros, or a torn
 * batch with a hole in it, loses nothing acknowledged; a clean stop leaves an empty journal; and on
 * a disk without room for the zeros the write lands without them.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { crashImage, journalText, openFaultyJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/tmp.js";

const CHUNK = 1024 * 1024;

const contents = async (b: JsonlBackend) => (await b.conversations.listMessages({ sessionId: "s", limit: 1000 })).items.map((m) => m.content);

/** The daemon started again on `dir` (a crash image), closed after the test; `warnings` are what it logged. */
async function restart(t: TestContext, dir: string): Promise<{ after: JsonlBackend; warnings: unknown[] }> {
  const warnings: unknown[] = [];
  const after = new JsonlBackend({ dataDir: dir, origin: "after", now: () => new Date(), log: { warn: (...a: unknown[]) => void warnings.push(a), info: () => {} } });
  await after.open();
  t.after(() => after.close());
  return { after, warnings };
}

test("jsonl journal: appends write over zeros already on disk, so the file's size does not move per line", async (t) => {
  const { say, dir } = await openFaultyJsonl(t);
  await say("first");
  const size = statSync(join(dir, "journal.jsonl")).size;
  assert.equal(size, CHUNK, "one chunk of zeros is laid down ahead of the lines");
  for (let i = 0; i < 50; i++) await say(`line ${i}`);
  assert.equal(statSync(join(dir, "journal.jsonl")).size, size, "fifty acknowledged appends later the size is the same");
  const text = journalText(dir);
  assert.equal(text.split("\n").filter((l) => l !== "").length, 51);
  assert.ok(!text.includes("\0"), "zeros only after the last line");
});

test("jsonl journal: a crash leaves zeros after the lines; the restart replays every acknowledged line", async (t) => {
  const { say, dir } = await openFaultyJsonl(t);
  for (const c of ["one", "two", "three"]) await say(c);
  const image = crashImage(dir); // the files may be behind; the journal is what counts
  assert.ok(readFileSync(join(image, "journal.jsonl")).includes(0), "the image holds the zeros");
  const { after, warnings } = await restart(t, image);
  assert.deepEqual(await contents(after), ["one", "two", "three"]);
  assert.deepEqual(warnings, [], "zeros after the last line are no torn write");
});

test("jsonl journal: a torn last batch (part of a line, a hole of zeros, a later line) is dropped with a warning, never refused", async (t) => {
  const { b, say, dir } = await openFaultyJsonl(t);
  await say("acknowledged");
  await b.engine.applyNow(); // the messages file holds it: the torn batch's later line appends after it
  // What a power cut in the middle of a batch's write can leave: of its pages, some reached the
  // disk and some are still the zeros laid down before. None of that batch was acknowledged.
  const image = crashImage(dir);
  const lines = journalText(image);
  const { j: last, s: segment } = JSON.parse(lines.trimEnd().split("\n").at(-1) ?? "") as { j: number; s: string };
  // The torn batch goes on from the last durable line: its lines carry p = that line's j.
  const torn = `{"j":${last + 1},"p":${last},"s":"${segment}","w":[{"t":"a","p":"sessions/s.jsonl","o":0,"d":"par`;
  const file = "sessions/s.jsonl";
  const ghost = JSON.stringify({ role: "user", content: "ghost", seq: 2, createdAt: new Date().toISOString() }) + "\n";
  const later = JSON.stringify({ j: last + 2, p: last, s: segment, w: [{ t: "a", p: file, o: statSync(join(image, file)).size, d: ghost }] }) + "\n";
  const journal = Buffer.alloc(CHUNK);
  Buffer.from(lines + torn).copy(journal, 0);
  Buffer.from(later).copy(journal, Buffer.byteLength(lines + torn) + 4096);
  writeFileSync(join(image, "journal.jsonl"), journal);
  const { after, warnings } = await restart(t, image);
  assert.deepEqual(await contents(after), ["acknowledged"]);
  assert.ok(!readFileSync(join(image, file), "utf8").includes("ghost"), "the line past the hole was not replayed");
  assert.equal(warnings.length, 1, "one warning says an unfinished write was dropped");
  assert.match(JSON.stringify(warnings[0]), /unfinished write/);
  assert.match(JSON.stringify(warnings[0]), new RegExp(`"bytes":${Buffer.byteLength(torn) + 4096 + Buffer.byteLength(later)}`), "the span from the last line to the last byte written");
});

test("jsonl journal: acknowledged lines behind a hole of zeros are damage, not a torn batch: the open refuses", async (t) => {
  const { say, dir } = await openFaultyJsonl(t);
  for (const c of ["one", "two", "three"]) await say(c); // three batches: each append waited for its flush
  const image = crashImage(dir);
  const file = join(image, "journal.jsonl");
  const journal = readFileSync(file);
  const start = journal.indexOf("\n") + 1; // the second line, "two"'s
  const end = journal.indexOf("\n", start) + 1;
  assert.match(journal.subarray(start, end).toString("utf8"), /two/);
  journal.fill(0, start, end); // "two" is zeros now, and "three" follows the hole
  writeFileSync(file, journal);
  const b = new JsonlBackend({ dataDir: image, origin: "after", now: () => new Date() });
  await assert.rejects(b.open(), (err: Error & { code?: string }) => {
    assert.equal(err.code, "DATA_DAMAGED");
    assert.match(err.message, new RegExp(`hole of zeros at byte ${start}`));
    return true;
  });
  await b.close().catch(() => undefined);
});

test("jsonl journal: a clean stop leaves it empty, zeros included", async (t) => {
  const dir = join(tempDir(t), "data");
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await b.open();
  await b.conversations.append({ sessionId: "s", createSession: true, messages: [{ role: "user", content: "kept" }] });
  await b.close();
  assert.equal(statSync(join(dir, "journal.jsonl")).size, 0);
  const again = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await again.open();
  t.after(() => again.close());
  assert.deepEqual(await contents(again), ["kept"]);
});

test("jsonl journal: with no room for the zeros, the line is written without them and acknowledged", async (t) => {
  const { b, say, disk, dir } = await openFaultyJsonl(t);
  disk.partialWriteBytes = 8000; // the zero-fill, the first write of a new segment: some zeros land, then ENOSPC
  await say("fits");
  const text = readFileSync(join(dir, "journal.jsonl"), "utf8");
  assert.equal(disk.partialWriteBytes, undefined, "the zero-fill was cut short");
  assert.ok(!text.includes("\0"), "no zeros left behind to take the room");
  assert.match(text, /fits/);
  await say("still fits");
  assert.deepEqual(await contents(b), ["fits", "still fits"]);
  assert.equal(statSync(join(dir, "journal.jsonl")).size, Buffer.byteLength(readFileSync(join(dir, "journal.jsonl"), "utf8")), "the segment goes on without zeros");
});

test("jsonl journal: a rotation whose directory sync fails loses nothing acknowledged before or after it", async (t) => {
  const { b, say, disk, dir } = await openFaultyJsonl(t);
  for (const c of ["one", "two", "three"]) await say(c);
  disk.fail({ op: "syncDir", code: "EMFILE", times: 1 }); // after the rename, the new segment's directory sync
  await b.engine.checkpoint().catch(() => undefined);
  assert.equal(disk.failures.get("syncDir"), 1);
  const syncs = disk.calls.get("syncDir") ?? 0;
  assert.equal(await b.engine.journal.recover(), true);
  assert.equal(disk.calls.get("syncDir"), syncs + 1, "recovery syncs the directory the rotation could not");
  await say("four"); // this one is acknowledged
  const image = crashImage(dir);
  const { after, warnings } = await restart(t, image);
  assert.deepEqual(await contents(after), ["one", "two", "three", "four"]);
  assert.deepEqual(warnings, []);
});

test("jsonl journal: a cut-back never grows a journal that something else shortened: writes stay refused", async (t) => {
  const { b, say, disk, dir } = await openFaultyJsonl(t);
  await say("one");
  truncateSync(join(dir, "journal.jsonl"), 0); // the acknowledged line is gone from under the daemon
  disk.fail({ op: "write", path: /journal\.jsonl$/, code: "EIO", times: 1 });
  await assert.rejects(say("two"), { code: "BACKEND_UNAVAILABLE" });
  assert.equal(await b.engine.journal.recover(), false, "recovery refuses instead of cutting the file back up to its old length");
  assert.equal(statSync(join(dir, "journal.jsonl")).size, 0, "no zeros where the lines were");
  await assert.rejects(say("three"), { code: "BACKEND_UNAVAILABLE" });
});

test("jsonl journal: after a failed flush (a disk full only at the flush, as on NFS) the segment goes on without zeros", async (t) => {
  const { b, say, disk, dir } = await openFaultyJsonl(t);
  await say("one");
  disk.fail({ op: "datasync", path: /journal\.jsonl$/, code: "ENOSPC", times: 1 });
  await assert.rejects(say("lost"), { code: "BACKEND_UNAVAILABLE" });
  await say("two"); // recovery cut the zeros off with the failed line; none are laid down again
  const file = join(dir, "journal.jsonl");
  assert.equal(statSync(file).size, Buffer.byteLength(readFileSync(file, "utf8").replace(/\0/g, "")), "no zeros after the lines");
  assert.deepEqual(await contents(b), ["one", "two"]);
});

test("jsonl journal: a rotation that cannot create the new segment after the rename recovers by itself and loses nothing", async (t) => {
  const { b, say, disk, dir } = await openFaultyJsonl(t);
  for (const c of ["one", "two"]) await say(c);
  disk.fail({ op: "open", path: /journal\.jsonl$/, code: "EMFILE", times: 1 }); // the new segment, after the old one was renamed
  await b.engine.checkpoint().catch(() => undefined);
  assert.equal(disk.failures.get("open"), 1);
  const syncs = disk.calls.get("syncDir") ?? 0;
  assert.equal(await b.engine.journal.recover(), true, "recovery makes the missing segment");
  assert.equal(disk.calls.get("syncDir"), syncs + 1, "and syncs the directory that names it");
  await say("three"); // this one is acknowledged
  const image = crashImage(dir);
  const { after, warnings } = await restart(t, image);
  assert.deepEqual(await contents(after), ["one", "two", "three"]);
  assert.deepEqual(warnings, []);
});

test("jsonl journal: the health probe cuts a failed batch off before writing its probe, so a crash in between cannot leave a broken line", async (t) => {
  const { b, say, disk, dir } = await openFaultyJsonl(t);
  await say("one");
  disk.fail({ op: "datasync", path: /journal\.jsonl$/, code: "EIO", times: 1 });
  await assert.rejects(say("x".repeat(100_000)), { code: "BACKEND_UNAVAILABLE" }); // a batch longer than the probe
  disk.fail({ op: "truncate", path: /journal\.jsonl$/, code: "EIO", times: 1 }); // the crash comes before the cut holds
  assert.equal(await b.engine.journal.recover(64 * 1024), false);
  const { after } = await restart(t, crashImage(dir)); // before the fix: spaces, then the tail of a line: DATA_DAMAGED
  // If the failed batch was not cut yet (the crash came first; the retry timer may have cut it
  // meanwhile), its complete line is replayed: a write that failed at its flush may still be
  // stored after a crash (journal.ts).
  const [first, ...rest] = (await contents(after)).map((c) => String(c));
  assert.equal(first, "one");
  assert.ok(rest.length === 0 || (rest.length === 1 && rest[0].startsWith("xxx")), JSON.stringify(rest.map((c) => c.slice(0, 10))));
});
