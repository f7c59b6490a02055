/** Picks the configured backend. Each backend module is loaded only when chosen. */
import type { Backend, BackendName, BackendOptions } from "./contract.js";
import { AgentStateError } from "../domain/errors.js";

export interface BackendSettings extends BackendOptions {
  name: BackendName;
  dataDir: string;
  url?: string;
  pgSchema?: string;
  pgPoolSize?: number;
  redisPrefix?: string;
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
    default:
      throw new AgentStateError("UNSUPPORTED", `the ${settings.name} backend is not available in this build yet`);
  }
}
