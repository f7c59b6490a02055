/** Default legacy locations, apart from the importers so the CLI can compute them cheaply. */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { LEGACY_SOURCES, type LegacyRoot, type LegacySource } from "../../domain/migrate.js";

/** Where the tools keep their state by default, for the user whose home and working directory are given. */
export function defaultRoots(home = homedir(), cwd = process.cwd()): LegacyRoot[] {
  const roots: LegacyRoot[] = [{ source: "infer", path: join(home, ".infer") }];
  const project = resolve(cwd, ".infer");
  if (project !== roots[0].path) roots.push({ source: "infer", path: project });
  roots.push(
    { source: "picoclaw", path: join(home, ".picoclaw", "workspace") },
    { source: "relayburn", path: join(home, ".relayburn") },
    { source: "claude-code", path: join(home, ".claude", "projects") },
    { source: "codex", path: join(home, ".codex", "sessions") },
  );
  return roots;
}

/** Every (source, path) pair: each path is looked at as a root of each selected tool. */
export const rootsFor = (paths: readonly string[], sources: readonly LegacySource[] = LEGACY_SOURCES): LegacyRoot[] =>
  paths.flatMap((path) => sources.map((source) => ({ source, path })));
