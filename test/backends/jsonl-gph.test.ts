// The groups, plans and history conformance suites on jsonl (until test/backends/jsonl.test.ts runs every domain).
import { join } from "node:path";
import { describe } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import type { Backend } from "../../src/backends/contract.js";
import { makeSuite } from "../conformance/harness.js";
import { groupsConformance } from "../conformance/groups.js";
import { plansConformance } from "../conformance/plans.js";
import { historyConformance } from "../conformance/history.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-gph-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
const suite = makeSuite("jsonl-gph", async (ctx) => new JsonlBackend({ ...ctx, dataDir: join(root, ctx.isolationKey) }) as unknown as Backend, { durable: true });
describe("conformance: jsonl (groups, plans, history)", () => {
  groupsConformance(suite);
  plansConformance(suite);
  historyConformance(suite);
});
