import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { createThreadedSqlite } from "../../src/backends/sqlite/threaded.js";
import { describeBackend } from "../conformance/index.js";

const root = mkdtempSync(join(tmpdir(), "agentstate-sqlite-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

// The sqlite backend as the daemon runs it: the store on a writer thread, the change log read here.
describeBackend("sqlite", async (ctx) => createThreadedSqlite({ ...ctx, path: join(root, `${ctx.isolationKey}.sqlite`) }), { durable: true, shared: true });
