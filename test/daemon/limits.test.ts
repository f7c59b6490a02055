/** The size limit's cheap upper bound never lets an oversized value through. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkSize, jsonBytesAtMost } from "../../src/daemon/limits.js";

const exact = (v: unknown) => Buffer.byteLength(JSON.stringify(v), "utf8");

test("the bound is never below the exact size, escapes, surrogates and numbers included", () => {
  const values: unknown[] = [
    "",
    "plain",
    "\u0000\u001f\"\\\n",
    "é漢字🎉",
    "\ud800 lone",
    1e21,
    -1.2345678901234567e308,
    5e-324,
    -0.0000012345678901234567,
    [1, "a", null, true, false, [], {}],
    { role: "user", content: "x".repeat(1000), n: [1.5, -0, 2e-7], nested: { "k\u0001": ["\u2028"] } },
    [undefined, 1],
    { a: undefined, b: 1 },
  ];
  for (const v of values) assert.ok(jsonBytesAtMost(v, Infinity) >= exact(v), JSON.stringify(v));
});

test("past the budget the bound gives up, and checkSize then measures exactly", () => {
  assert.equal(jsonBytesAtMost("x".repeat(100), 50), Infinity);
  // 200 units of 'x' bound to 1,202 bytes but print as 202: exact measure decides, and it fits.
  assert.doesNotThrow(() => checkSize("v", "x".repeat(200), 300));
  assert.throws(() => checkSize("v", "x".repeat(400), 300), (e: { code?: string }) => e.code === "TOO_LARGE");
  assert.throws(() => checkSize("v", { k: ["\u0000".repeat(60)] }, 300), (e: { code?: string }) => e.code === "TOO_LARGE");
});

test("values with toJSON are sized by what they print", () => {
  assert.equal(jsonBytesAtMost(new Date(0), 1e9), Infinity);
  assert.doesNotThrow(() => checkSize("v", { at: new Date(0) }, 100));
  assert.throws(() => checkSize("v", { toJSON: () => "y".repeat(500) }, 100), (e: { code?: string }) => e.code === "TOO_LARGE");
});
