import assert from "node:assert/strict";
import { test } from "node:test";
import { clone, extend } from "../../src/domain/clone.js";

test("clone: a deep copy that shares nothing with the original", () => {
  const original = { id: "s", tags: ["a"], metadata: { nested: { list: [1, { x: null }] } }, missing: undefined, at: new Date(5) };
  const copy = clone(original);
  assert.deepEqual(copy, original);
  copy.tags.push("b");
  (copy.metadata.nested.list[1] as { x: unknown }).x = 1;
  copy.at.setTime(6);
  assert.deepEqual(original.tags, ["a"]);
  assert.deepEqual(original.metadata.nested.list[1], { x: null });
  assert.equal(original.at.getTime(), 5);
  assert.ok(Object.hasOwn(copy, "missing"));
});

test("clone: a __proto__ key from user JSON stays a plain own property", () => {
  const parsed = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
  const copy = clone(parsed);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.ok(Object.hasOwn(copy, "__proto__"));
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(JSON.stringify(copy), JSON.stringify(parsed));
});

test("clone: bytes are copied, a Buffer comes back as a Uint8Array like structuredClone gives", () => {
  const bytes = Buffer.from([1, 2, 3]);
  const copy = clone({ bytes }).bytes;
  assert.equal(Object.getPrototypeOf(copy), Uint8Array.prototype);
  assert.deepEqual([...copy], [1, 2, 3]);
  copy[0] = 9;
  assert.equal(bytes[0], 1);
});

test("clone: other objects go to structuredClone", () => {
  const map = new Map([["k", { v: 1 }]]);
  const copy = clone({ map }).map;
  assert.ok(copy instanceof Map);
  assert.notEqual(copy.get("k"), map.get("k"));
  assert.deepEqual(copy.get("k"), { v: 1 });
});

test("extend: what a spread of both gives — same keys in the same order, the extra's values win, a __proto__ key stays own", () => {
  const base = JSON.parse('{"role": "user", "seq": 9, "__proto__": {"polluted": true}, "gone": null}') as Record<string, unknown>;
  const extra = { seq: 1, createdAt: "t", missing: undefined };
  const got = extend(base, extra);
  const spread = { ...base, ...extra };
  assert.deepEqual(Object.keys(got), Object.keys(spread));
  assert.equal(JSON.stringify(got), JSON.stringify(spread));
  assert.equal(got.seq, 1);
  assert.ok(Object.hasOwn(got, "missing"));
  assert.equal(Object.getPrototypeOf(got), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(got, "__proto__")?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(base.createdAt, undefined, "the base is not changed");
});
