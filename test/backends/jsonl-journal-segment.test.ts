/**
 * The hole rule of the jsonl journal (src/backends/jsonl/journal-segment.ts): lines past a hole of
 * zeros are a torn last batch only when they are one batch that goes on from the lines before it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkHole, lineText, splitSegment, type JournalLine } from "../../src/backends/jsonl/journal-segment.js";

const text = (lines: Array<[j: number, p: number]>) => lines.map(([j, p]) => lineText(j, p, '{"w":[]}')).join("");
const at = (j: number, p?: number): JournalLine => (p === undefined ? { j } : { j, p });

test("journal lines carry j, then p, then the unit", () => {
  assert.equal(lineText(7, 5, '{"w":[{"t":"d","p":"x"}]}'), '{"j":7,"p":5,"w":[{"t":"d","p":"x"}]}\n');
  assert.equal(lineText(7, 5, "{}"), '{"j":7,"p":5}\n');
});

test("a hole followed by the rest of the last line's batch, or by the batch right after it, is a torn batch", () => {
  assert.doesNotThrow(() => checkHole("j", at(10, 8), "\0\0" + text([[12, 8]]), 0), "same batch as the last line (p 8)");
  assert.doesNotThrow(() => checkHole("j", at(10, 8), "\0\0" + text([[12, 10], [13, 10]]), 0), "the batch after it (p = 10)");
  assert.doesNotThrow(() => checkHole("j", at(10, 8), "\0\0" + 'the end of a line"}]}\n\0\0' + text([[14, 10]]), 0), "pieces of lines are skipped");
  assert.doesNotThrow(() => checkHole("j", at(10, 8), "\0\0\0", 0), "nothing but zeros and pieces");
});

test("a hole followed by two batches, by lines that skip a durable one, or by older lines is damage", () => {
  assert.throws(() => checkHole("j", at(10, 8), "\0" + text([[12, 10], [13, 12]]), 40), /hole of zeros at byte 40 \(after line j=10\)/);
  assert.throws(() => checkHole("j", at(10, 8), "\0" + text([[14, 12]]), 0), { code: "DATA_DAMAGED" }, "lines 11 and 12 were acknowledged and are gone");
  assert.throws(() => checkHole("j", at(10, 8), "\0" + text([[9, 8]]), 0), { code: "DATA_DAMAGED" });
});

test("what cannot be judged is left to the torn-batch rule: no line before the hole, lines of an older agentstate", () => {
  assert.doesNotThrow(() => checkHole("j", undefined, "\0" + text([[14, 12]]), 0));
  assert.doesNotThrow(() => checkHole("j", at(10), "\0" + text([[14, 12]]), 0));
  assert.doesNotThrow(() => checkHole("j", at(10, 8), '\0{"j":14,"w":[]}\n', 0));
});

test("a segment splits at its first NUL", () => {
  assert.deepEqual(splitSegment(text([[1, 0]]) + '{"j":2' + "\0\0x\0\0"), { lines: [lineText(1, 0, '{"w":[]}').trimEnd()], torn: '{"j":2', beyond: "\0\0x" });
});
