import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { describeBackend } from "../conformance/index.js";

const root = mkdtempSync(join(tmpdir(), "agentstate-sqlite-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

describeBackend("sqlite", async (ctx) => new SqliteBackend({ ...ctx, path: join(root, `${ctx.isolationKey}.sqlite`) }), { durable: true, shared: true });
