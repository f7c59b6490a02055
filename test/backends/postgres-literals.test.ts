import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { literal, withLiterals } from "../../src/backends/postgres/literals.js";
import { postgres } from "../helpers/postgres.js";

const ASCII = Array.from({ length: 127 }, (_, i) => String.fromCharCode(i + 1)).join("");
const HOSTILE = [
  "",
  "'",
  "''",
  "\\",
  "\\'",
  "\\\\'",
  "'; DROP TABLE sessions; --",
  "\\'; DROP TABLE sessions; --",
  "E'\\x41'",
  "$$; DROP TABLE sessions; $$",
  "$1 ? ?| ?&",
  ASCII,
  "ünïcødé 日本語 🙂 \u2028\u2029",
  JSON.stringify({ a: "x'y\\z\n\"q\"", b: ["\\u0000", "\\\\"] }),
];

test("postgres literals: every string reads back verbatim, whatever standard_conforming_strings says", async (t) => {
  const client = new pg.Client({ connectionString: (await postgres()).url });
  await client.connect();
  t.after(() => client.end());
  for (const scs of ["on", "off"]) {
    await client.query(`SET standard_conforming_strings = ${scs}`);
    for (const s of HOSTILE) {
      const { rows } = await client.query<{ v: string; n: number }>(withLiterals("SELECT ? AS v, ? AS n", [s, 7]));
      assert.equal(rows[0]?.v, s, `standard_conforming_strings=${scs}: ${JSON.stringify(s)}`);
      assert.equal(rows[0]?.n, "7");
    }
  }
});

test("postgres literals: numbers and null take their type from where they stand, as parameters do", async (t) => {
  const client = new pg.Client({ connectionString: (await postgres()).url });
  await client.connect();
  t.after(() => client.end());
  const sql = "SELECT ?::bigint + 1 AS i, ?::float8 AS f, ? IS NULL AS z, 3 < ? AS lt";
  const { rows } = await client.query(withLiterals(sql, [-5, 1e-7, null, 4]));
  assert.deepEqual(rows[0], { i: "-4", f: 1e-7, z: true, lt: true });
});

test("postgres literals: a NUL is INVALID_PARAMS; a placeholder count that does not match is a bug, not a query", () => {
  assert.throws(() => literal("a\u0000b"), { code: "INVALID_PARAMS" });
  assert.throws(() => literal(Number.NaN), /finite/);
  assert.throws(() => withLiterals("SELECT ?, ?", [1]), /2 placeholders and 1 parameters/);
  assert.equal(withLiterals("SELECT 1"), "SELECT 1");
});

test("postgres: an append is two round trips — BEGIN with its locking read, then its writes with the COMMIT", async (t) => {
  const b = new PostgresBackend({ url: (await postgres()).url, schema: `t_pg_trips_${process.pid}`, origin: "t", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  await b.conversations.createSession({ id: "s" });
  await b.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "warm" }] });
  const sent: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back below; called with apply on its client
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    // The change sequencer's own autocommit statement, after the commit, is not the append's.
    if (typeof args[0] === "string" && !args[0].includes("sequence_changes")) sent.push(args[0]);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await b.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "it's \\ here" }] });
  } finally {
    pg.Client.prototype.query = query;
  }
  assert.equal(sent.length, 2, sent.join("\n---\n"));
  assert.match(sent[0], /^BEGIN;\nSELECT data FROM sessions WHERE id = E's' FOR UPDATE$/);
  assert.match(sent[1], /INSERT INTO messages[^]*INSERT INTO changes[^]*;\nCOMMIT$/);
  const tail = await b.conversations.listMessages({ sessionId: "s", limit: 10 });
  assert.equal(tail.items.at(-1)?.content, "it's \\ here");
});
