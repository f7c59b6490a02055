import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidId } from "../../src/domain/schema.js";

test("ids: 1–256 UTF-8 bytes, no control characters, no lone surrogates", () => {
  for (const ok of ["a", "../../etc/passwd", "telegram:123", "ünï cödé 🦊", "x".repeat(256), "é".repeat(128)]) assert.ok(isValidId(ok), ok);
  for (const bad of ["", "x".repeat(257), "é".repeat(129), "a\nb", "tab\there", "nul\u0000", "del\u007f", "a\uD800", "\uDC00x", "\uDFFF\uD800"]) {
    assert.equal(isValidId(bad), false, JSON.stringify(bad));
  }
});
