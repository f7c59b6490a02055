/**
 * Framework packages are optional peer dependencies (SPEC §3.8): `import "agentstate"` must load
 * none of them, and each adapter subpath must load its own. Checked in a child process whose
 * module resolution refuses every framework package (test/fixtures/deny-frameworks.ts), importing
 * the package by its published name, so the exports map is what is tested.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const DENY = fileURLToPath(new URL("../fixtures/deny-frameworks.js", import.meta.url));

function importWithFrameworksDenied(specifier: string): { status: number | null; stdout: string; stderr: string } {
  const code = `const m = await import(${JSON.stringify(specifier)}); console.log(Object.keys(m).sort().join(","));`;
  const r = spawnSync(process.execPath, ["--import", DENY, "--input-type=module", "--eval", code], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("import 'agentstate' loads no framework package (LangGraph, OpenAI Agents, their dependencies)", () => {
  const r = importWithFrameworksDenied("agentstate");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\bconnect\b/);
});

test("the guard works: each adapter subpath does load its framework", () => {
  const lg = importWithFrameworksDenied("agentstate/langgraph");
  assert.notEqual(lg.status, 0);
  assert.match(lg.stderr, /framework module loaded: @langchain\/langgraph-checkpoint/);
  const oa = importWithFrameworksDenied("agentstate/openai-agents");
  assert.notEqual(oa.status, 0);
  assert.match(oa.stderr, /framework module loaded: @openai\/agents-core/);
});

test("with the frameworks installed, the subpaths export the adapters", () => {
  for (const [specifier, name] of [["agentstate/langgraph", "AgentstateSaver"], ["agentstate/openai-agents", "AgentstateSession"]]) {
    const code = `const m = await import(${JSON.stringify(specifier)}); console.log(typeof m.${name});`;
    const r = spawnSync(process.execPath, ["--input-type=module", "--eval", code], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "function");
  }
});
