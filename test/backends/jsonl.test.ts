import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { describeBackend } from "../conformance/index.js";

const root = mkdtempSync(join(tmpdir(), "agentstate-jsonl-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

describeBackend("jsonl", async (ctx) => new JsonlBackend({ ...ctx, dataDir: join(root, ctx.isolationKey) }), { durable: true });
