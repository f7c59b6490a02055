/** Default locations (SPEC §5, §8). */
import { homedir } from "node:os";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

export function defaultSocketPath(env: Env = process.env, uid = process.getuid?.() ?? 0): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "agentstate", "agentstate.sock");
  if (uid === 0) return "/run/agentstate/agentstate.sock";
  return `/tmp/agentstate-${uid}/agentstate.sock`;
}

export function defaultDataDir(env: Env = process.env): string {
  if (env.STATE_DIRECTORY) return env.STATE_DIRECTORY.split(":")[0];
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "agentstate");
  return join(env.HOME ?? homedir(), ".local", "state", "agentstate");
}

export function defaultConfigFile(env: Env = process.env): string {
  const base = env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), ".config");
  return join(base, "agentstate", "config.json");
}
