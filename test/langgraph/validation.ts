/**
 * LangGraph's official checkpointer suite (@langchain/langgraph-checkpoint-validation) against a
 * real daemon process on one backend. Each checkpointer the suite creates gets a namespace of its
 * own, because the suite's `list` cases query without a thread and expect to see only their own
 * checkpoints. Also runs the package's opt-in getDeltaChannelHistory cases, as LangGraph's own
 * savers do. Runs under vitest (globals: true), from `npm test`; see test/langgraph/vitest.config.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import type { CheckpointSaverTestInitializer } from "@langchain/langgraph-checkpoint-validation";
import { AgentstateSaver } from "../../src/adapters/langgraph/index.js";
import type { BackendName } from "../../src/backends/contract.js";
import { exited, spawnDaemon, type Spawned } from "../helpers/spawn-daemon.js";
import { postgres } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";

/** Daemon flags that put one backend's storage somewhere no other run uses. */
async function backendFlags(backend: BackendName, dir: string, tag: string): Promise<string[]> {
  switch (backend) {
    case "memory":
    case "jsonl":
    case "sqlite":
      return ["--data-dir", join(dir, "data")];
    case "postgres":
      return ["--url", (await postgres()).url, "--pg-schema", `lgv_${tag}`];
    case "redis":
      return ["--url", (await redis()).url, "--redis-prefix", `lgv:${tag}:`];
  }
}

export function validateOnBackend(backend: BackendName): void {
  const tag = randomBytes(4).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), `agentstate-lgv-${backend}-`));
  const socket = join(dir, "agentstate.sock");
  let daemon: Spawned | undefined;
  let instances = 0;
  const initializer: CheckpointSaverTestInitializer<AgentstateSaver> = {
    checkpointerName: `agentstate (${backend})`,
    beforeAllTimeout: 120_000,
    async beforeAll() {
      const flags = await backendFlags(backend, dir, tag);
      daemon = await spawnDaemon(["--socket", socket, "--backend", backend, "--log-level", "error", ...flags]);
    },
    async afterAll() {
      if (daemon) {
        const done = exited(daemon.child);
        daemon.child.kill("SIGTERM");
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
      // vitest ends its workers without the "exit" event the helpers stop their servers on.
      if (backend === "postgres") await (await postgres()).stop?.();
      if (backend === "redis") await (await redis()).stop?.();
    },
    createCheckpointer: () => new AgentstateSaver({ socket, namespace: `lgv-${tag}-${++instances}` }),
    destroyCheckpointer: (saver) => saver.close(),
  };
  validate(initializer);
  // Opt-in in the package (LangGraph's own savers each call it): the saver relies on the base
  // class's ancestor walk, which relies on pendingWrites coming back in writesSortKey order.
  deltaChannelHistoryTests(initializer);
}
