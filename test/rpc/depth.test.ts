/** The raw-bytes nesting check against a byte-by-byte reference, escapes and all. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exceedsDepth } from "../../src/rpc/depth.js";

/** The obvious byte-at-a-time scanner: the definition the fast one must agree with. */
function reference(buf: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = String.fromCharCode(buf[i]);
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (++depth > maxDepth) return true;
    } else if (c === "}" || c === "]") depth--;
  }
  return false;
}

const check = (text: string, max: number) => {
  const buf = Buffer.from(text);
  assert.equal(exceedsDepth(buf, max), reference(buf, max), `${JSON.stringify(text)} at max ${max}`);
};

test("brackets inside strings, escaped quotes and backslash runs do not count", () => {
  const cases = [
    '[[["a"]]]',
    '["[[[[[[[["]',
    '["\\"[[[[[[["]',
    '["\\\\"[[[[[[]]]]]]]',
    '["\\\\\\"[[[[[[["]',
    '{"a":"\\\\","b":[[[[[[1]]]]]]}',
    '"unterminated [[[[[[[[[[',
    '["\\',
    '"\\\\\\\\"[[[[[[[[',
    "[".repeat(5) + "]".repeat(5),
    "[".repeat(6),
  ];
  for (const text of cases) for (const max of [0, 1, 3, 5, 6]) check(text, max);
});

test("agrees with the reference on random bracket, quote and backslash soup", () => {
  const alphabet = ['"', "\\", "[", "]", "{", "}", "a", ",", ":"];
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let n = 0; n < 20_000; n++) {
    const len = 1 + Math.floor(rand() * 40);
    let text = "";
    for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
    check(text, Math.floor(rand() * 6));
  }
});

test("a short line cannot exceed the depth and a long deep one does", () => {
  assert.equal(exceedsDepth(Buffer.from("[".repeat(256)), 256), false);
  assert.equal(exceedsDepth(Buffer.from("[".repeat(257)), 256), true);
  assert.equal(exceedsDepth(Buffer.from(`{"s":"${"x".repeat(100_000)}","d":${"[".repeat(300)}`), 256), true);
});
