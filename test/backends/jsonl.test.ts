import { join } from "node:path";
import { tmpdir } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { describeBackend } from "../conformance/index.js";
import { FaultyDisk } from "../helpers/faulty-disk.js";

const root = mkdtempSync(join(tmpdir(), "agentstate-jsonl-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

describeBackend(
  "jsonl",
  async (ctx) => {
    const disk = new FaultyDisk();
    ctx.faults = { failNextSync: (code) => disk.fail({ op: "datasync", path: /journal/, code, times: 1 }) };
    return new JsonlBackend({ ...ctx, dataDir: join(root, ctx.isolationKey), disk });
  },
  { durable: true, faults: true },
);
