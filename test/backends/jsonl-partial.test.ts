// Temporary while the jsonl stores of the other domains are written: conversations and changes only.
import { join } from "node:path";
import { describe } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import type { Backend } from "../../src/backends/contract.js";
import { makeSuite } from "../conformance/harness.js";
import { conversationsConformance } from "../conformance/conversations.js";
import { changesConformance } from "../conformance/changes.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-partial-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
const suite = makeSuite("jsonl", async (ctx) => new JsonlBackend({ ...ctx, dataDir: join(root, ctx.isolationKey) }) as unknown as Backend, { durable: true });
describe("conformance: jsonl (conversations, changes)", () => {
  conversationsConformance(suite);
  changesConformance(suite);
});
