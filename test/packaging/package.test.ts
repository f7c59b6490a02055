/**
 * Packaging (SPEC §9, issue 19 item 12): the tarball holds dist/src, bin, systemd, docs and the
 * README only; installing from git builds (prepare); a client-only install (--omit=optional) has
 * no native build and no database driver or logger, and the client and CLI load none of them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const DENY = fileURLToPath(new URL("../fixtures/deny-daemon-packages.js", import.meta.url));
const CLI = fileURLToPath(new URL("../../../bin/agentstate.js", import.meta.url));
const DAEMON_BIN = fileURLToPath(new URL("../../../bin/agentstated.js", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  scripts: Record<string, string>;
  files: string[];
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

/** The daemon's own packages: a client-only install leaves them out. */
const DAEMON_ONLY = ["better-sqlite3", "pg", "ioredis", "winston"];

test("npm pack holds dist/src, bin, systemd, docs and the README, nothing else", () => {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  const outside = files.filter((f) => !/^(dist\/src\/|bin\/|systemd\/|docs\/|README\.md$|package\.json$|LICENSE)/.test(f));
  assert.deepEqual(outside, []);
  for (const must of ["bin/agentstate.js", "bin/agentstated.js", "dist/src/client/index.js", "dist/src/daemon/main.js", "systemd/agentstate-healthcheck", "README.md"]) {
    assert.ok(files.includes(must), `${must} is packed`);
  }
  assert.ok(!files.some((f) => f.startsWith("dist/test/") || f.startsWith("src/") || f.startsWith("bench/")));
});

test("installing from git builds dist/ (prepare), and the daemon's packages are optional dependencies", () => {
  assert.match(pkg.scripts.prepare ?? "", /tsc -p tsconfig\.src\.json/);
  for (const name of DAEMON_ONLY) {
    assert.ok(!(name in pkg.dependencies), `${name} is not a required dependency`);
    assert.ok(name in (pkg.optionalDependencies ?? {}), `${name} is an optional dependency`);
  }
});

function withDaemonPackagesDenied(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", DENY, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, AGENTSTATE_AUTOSTART: "0", AGENTSTATE_SOCKET: "/nonexistent/agentstate.sock" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("without the daemon's packages: import 'agentstate' and the CLI work", () => {
  const lib = withDaemonPackagesDenied(["--input-type=module", "--eval", "const m = await import('agentstate'); console.log(typeof m.connect);"]);
  assert.equal(lib.status, 0, lib.stderr);
  assert.equal(lib.stdout.trim(), "function");
  for (const [args, code] of [[["--version"], 0], [["help"], 0], [["sessions", "list"], 3], [["jobs", "add", "--at", "2026-12-07T09:00", "--tz", "UTC"], 3], [["health"], 2]] as const) {
    const r = withDaemonPackagesDenied([CLI, ...args]);
    assert.equal(r.status, code, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(!r.stderr.includes("daemon package loaded"), r.stderr);
  }
});

test("the guard works: the daemon without its packages says what is missing, in one line", () => {
  const r = withDaemonPackagesDenied([DAEMON_BIN, "--backend", "memory"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^agentstated: the daemon needs winston, which is not installed; .*--include=optional/);
});

test("docs: every nc -U example closes its side at the end of input (-N), or it hangs", () => {
  const docs = ["README.md", "docs/protocol.md", "docs/operations.md", "docs/security.md"].map((f) => readFileSync(new URL(`../../../${f}`, import.meta.url), "utf8"));
  const examples = docs.flatMap((d) => d.split("\n").filter((l) => /\bnc\b.*-U\b/.test(l)));
  assert.ok(examples.length > 0);
  for (const line of examples) assert.match(line, /\bnc\b(\s+-\w+)*\s+-N\b/, line);
});
