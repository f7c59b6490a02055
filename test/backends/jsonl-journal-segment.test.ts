/**
 * The jsonl journal's segment format and hole rule (src/backends/jsonl/journal-segment.ts): lines
 * past a hole of zeros are a torn last batch only when they are one batch of the same segment that
 * goes on from the lines before it (the writer's side is in jsonl-journal-failure.test.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkHole, lineText, splitSegment, type JournalLine } from "../../src/backends/jsonl/journal-segment.js";

const S = "5e9a11d0";
const text = (lines: Array<[j: number, p: number]>, segment = S) => lines.map(([j, p]) => lineText(j, p, segment, '{"w":[]}')).join("");
const at = (j: number, p?: number, s: string | undefined = S): JournalLine => ({ j, ...(p === undefined ? {} : { p }), ...(s === undefined ? {} : { s }) });

test("journal lines carry j, p and the segment, then the unit", () => {
  assert.equal(lineText(7, 5, S, '{"w":[{"t":"d","p":"x"}]}'), `{"j":7,"p":5,"s":"${S}","w":[{"t":"d","p":"x"}]}\n`);
  assert.equal(lineText(7, 5, S, "{}"), `{"j":7,"p":5,"s":"${S}"}\n`);
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

test("lines of another segment past the hole (stale blocks of a retired segment) are ignored", () => {
  assert.doesNotThrow(() => checkHole("j", at(10, 8), "\0" + text([[40, 38], [41, 40]], "0ld5e6e7"), 0));
  assert.doesNotThrow(() => checkHole("j", at(10, 8), "\0" + text([[3, 1]], "0ld5e6e7") + "\0" + text([[12, 10]]), 0));
  assert.throws(() => checkHole("j", at(10, 8), "\0" + text([[3, 1]], "0ld5e6e7") + "\0" + text([[14, 12]]), 0), { code: "DATA_DAMAGED" });
});

test("what cannot be judged is left to the torn-batch rule: no line before the hole, lines of an older agentstate", () => {
  assert.doesNotThrow(() => checkHole("j", undefined, "\0" + text([[14, 12]]), 0));
  assert.doesNotThrow(() => checkHole("j", at(10, undefined, undefined), "\0" + text([[14, 12]]), 0));
});

test("a segment splits at its first NUL", () => {
  assert.deepEqual(splitSegment(text([[1, 0]]) + '{"j":2' + "\0\0x\0\0"), { lines: [text([[1, 0]]).trimEnd()], torn: '{"j":2', beyond: "\0\0x" });
});

