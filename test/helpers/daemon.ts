/** An in-process daemon on a temporary socket, with the memory backend unless told otherwise. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import winston from "winston";
import { resolveConfig, type ResolvedConfig } from "../../src/config/config.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { connect, type Client } from "../../src/client/index.js";
import type { Backend } from "../../src/backends/contract.js";

export interface TestDaemon {
  daemon: Daemon;
  config: ResolvedConfig;
  socket: string;
  dir: string;
  client(): Promise<Client>;
  stop(): Promise<void>;
}

export const silentLogger = () => winston.createLogger({ silent: true });

export async function startTestDaemon(
  t: TestContext,
  overrides: Partial<ResolvedConfig> & { backend?: ResolvedConfig["backend"]; store?: Backend } = {},
): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-test-"));
  const { store, ...rest } = overrides;
  const config: ResolvedConfig = {
    ...resolveConfig({ env: {} }).config,
    socket: join(dir, "run", "agentstate.sock"),
    dataDir: join(dir, "data"),
    backend: "memory",
    ...rest,
  };
  const daemon = new Daemon({ config, logger: silentLogger(), backend: store });
  await daemon.start();
  const clients: Client[] = [];
  const stop = async () => {
    clients.forEach((c) => c.close());
    await daemon.stop();
  };
  // One hook, in this order: the daemon (and its backend's background file writes) stops before
  // its directory goes.
  t.after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    daemon,
    config,
    socket: config.socket,
    dir,
    stop,
    client: async () => {
      const c = await connect({ socket: config.socket, timeoutMs: 10_000 });
      clients.push(c);
      return c;
    },
  };
}
