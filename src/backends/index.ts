/** Picks the configured backend. Each backend module is loaded only when chosen. */
import { join } from "node:path";
import type { Backend, BackendName, BackendOptions } from "./contract.js";
import { AgentStateError, invalidParams } from "../domain/errors.js";

export interface BackendSettings extends BackendOptions {
  name: BackendName;
  dataDir: string;
  url?: string;
  pgSchema?: string;
  pgPoolSize?: number;
  redisPrefix?: string;
}

function requireUrl(settings: BackendSettings, scheme: string): string {
  if (!settings.url) throw invalidParams(`the ${settings.name} backend needs --url (AGENTSTATE_URL), e.g. ${scheme}://127.0.0.1/`);
  return settings.url;
}

export async function createBackend(settings: BackendSettings): Promise<Backend> {
  switch (settings.name) {
    case "memory": {
      const { MemoryBackend } = await import("./memory/index.js");
      return new MemoryBackend(settings);
    }
    case "jsonl": {
      const { JsonlBackend } = await import("./jsonl/index.js");
      return new JsonlBackend(settings);
    }
    case "sqlite": {
      const { SqliteBackend } = await import("./sqlite/index.js");
      return new SqliteBackend({ ...settings, path: join(settings.dataDir, "agentstate.sqlite") });
    }
    case "postgres": {
      const { PostgresBackend } = await import("./postgres/index.js");
      return new PostgresBackend({ ...settings, url: requireUrl(settings, "postgres"), schema: settings.pgSchema, poolSize: settings.pgPoolSize });
    }
    case "redis": {
      const { RedisBackend } = await import("./redis/index.js");
      return new RedisBackend({ ...settings, url: requireUrl(settings, "redis"), prefix: settings.redisPrefix });
    }
    default:
      throw new AgentStateError("UNSUPPORTED", `the ${settings.name} backend is not available in this build yet`);
  }
}
