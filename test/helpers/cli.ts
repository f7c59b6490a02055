/**
 * The CLI in process, hermetic: runCli resolves its configuration from process.env, so importing
 * this module clears AGENTSTATE_* variables and points XDG_CONFIG_HOME at an empty directory
 * (removed after the file's tests), keeping the developer's settings out of every run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { runCli } from "../../src/client/cli/main.js";

const configHome = mkdtempSync(join(tmpdir(), "agentstate-cli-config-"));
after(() => rmSync(configHome, { recursive: true, force: true }));
for (const key of Object.keys(process.env)) if (key.startsWith("AGENTSTATE_")) delete process.env[key];
process.env.XDG_CONFIG_HOME = configHome;

/** Runs the CLI with `argv`, capturing what it prints. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
