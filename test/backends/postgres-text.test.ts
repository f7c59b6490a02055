import assert from "node:assert/strict";
import { test } from "node:test";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { postgres } from "../helpers/postgres.js";

test("postgres: a schema name starting with pg_ is refused up front", () => {
  assert.throws(() => new PostgresBackend({ url: "postgres://127.0.0.1/x", schema: "pg_mine", origin: "t", now: () => new Date() }), { code: "INVALID_PARAMS" });
});

test("postgres: a NUL in a text field is INVALID_PARAMS and stores nothing; inside free-form JSON it round-trips", async (t) => {
  const b = new PostgresBackend({ url: (await postgres()).url, schema: `t_pg_text_${process.pid}`, origin: "t", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  await assert.rejects(b.conversations.createSession({ id: "s", tags: ["a\u0000b"] }), { code: "INVALID_PARAMS" });
  await assert.rejects(b.conversations.getSession("s"), { code: "NOT_FOUND" });
  const s = await b.conversations.createSession({ id: "s", metadata: { k: "a\u0000b" } });
  assert.equal((await b.conversations.getSession(s.id)).metadata.k, "a\u0000b");
});
