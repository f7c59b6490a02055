import { MemoryBackend } from "../../src/backends/memory/index.js";
import { describeBackend } from "../conformance/index.js";

describeBackend("memory", async (ctx) => new MemoryBackend(ctx), { durable: false });
