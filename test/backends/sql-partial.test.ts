// Temporary while the SQL stores of the other domains are written: conversations and changes only.
import { join } from "node:path";
import { describe } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import type { Backend } from "../../src/backends/contract.js";
import { makeSuite } from "../conformance/harness.js";
import { conversationsConformance } from "../conformance/conversations.js";
import { changesConformance } from "../conformance/changes.js";
import { postgres } from "../helpers/postgres.js";

const root = mkdtempSync(join(tmpdir(), "sql-partial-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
const sqlite = makeSuite("sqlite", async (ctx) => new SqliteBackend({ ...ctx, path: join(root, `${ctx.isolationKey}.sqlite`) }) as unknown as Backend, { durable: true });
describe("conformance: sqlite (conversations, changes)", () => {
  conversationsConformance(sqlite);
  changesConformance(sqlite);
});
const pgSuite = makeSuite("postgres", async (ctx) => new PostgresBackend({ ...ctx, url: (await postgres()).url, schema: ctx.isolationKey }) as unknown as Backend, { durable: true });
describe("conformance: postgres (conversations, changes)", () => {
  conversationsConformance(pgSuite);
  changesConformance(pgSuite);
});
