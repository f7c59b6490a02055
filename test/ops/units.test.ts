/**
 * The units in systemd/ (SPEC §8): `systemd-analyze verify` prints nothing for any of them (it
 * exits 0 on a misspelled key, so its output is what counts), the system service's exposure is at
 * most 2.5, the hardening the issue asks for is there and MemoryDenyWriteExecute (which breaks V8)
 * is not; the launchd plist parses and has what launchd needs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { ROOT } from "../helpers/spawn.js";
import { requireTool } from "../helpers/systemd.js";
import { tempDir } from "../helpers/tmp.js";

const SYSTEMD = join(ROOT, "systemd");
const MAX_EXPOSURE = 2.5;

/** Copies the units into a fresh folder with every Exec*= pointing at a binary that exists here. */
function staged(t: TestContext, units: string[]): string {
  const dir = tempDir(t, "agentstate-units-");
  for (const unit of units) {
    const text = readFileSync(join(SYSTEMD, unit), "utf8").replace(/^(Exec\w+=)(\S+)/gm, `$1${process.execPath}`);
    writeFileSync(join(dir, unit.split("/").at(-1) as string), text);
  }
  return dir;
}

function analyze(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync("systemd-analyze", args, { cwd, env, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** Unit settings as key → values (repeated keys collect). */
function settings(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(join(SYSTEMD, unit), "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1], [...(map.get(m[1]) ?? []), m[2]]);
  }
  return map;
}

test("systemd-analyze verify prints nothing for the system service and socket", (t) => {
  if (!requireTool(t, "systemd-analyze")) return;
  const dir = staged(t, ["agentstate.service", "agentstate.socket"]);
  const r = analyze(["verify", "./agentstate.service", "./agentstate.socket"], dir);
  assert.equal(r.output, "");
  assert.equal(r.code, 0);
});

test("systemd-analyze --user verify prints nothing for the user service and socket", (t) => {
  if (!requireTool(t, "systemd-analyze")) return;
  const dir = staged(t, ["user/agentstate.service", "user/agentstate.socket"]);
  // A user manager needs a runtime directory; give it one of its own.
  const runtime = join(dir, "runtime");
  mkdirSync(runtime);
  chmodSync(runtime, 0o700);
  const r = analyze(["--user", "verify", "./agentstate.service", "./agentstate.socket"], dir, { ...process.env, XDG_RUNTIME_DIR: runtime });
  assert.equal(r.output, "");
  assert.equal(r.code, 0);
});

test("verify does catch a misspelled key (so an empty output means something)", (t) => {
  if (!requireTool(t, "systemd-analyze")) return;
  const dir = staged(t, ["agentstate.service", "agentstate.socket"]);
  const file = join(dir, "agentstate.service");
  writeFileSync(file, readFileSync(file, "utf8").replace("PrivateTmp=yes", "PrivateTemp=yes"));
  assert.match(analyze(["verify", "./agentstate.service"], dir).output, /PrivateTemp/);
});

test(`the system service's exposure (systemd-analyze security --offline) is at most ${MAX_EXPOSURE}`, (t) => {
  if (!requireTool(t, "systemd-analyze")) return;
  const dir = staged(t, ["agentstate.service", "agentstate.socket"]);
  const r = analyze(["security", "--offline=true", "./agentstate.service"], dir);
  const m = /Overall exposure level for agentstate\.service: (\d+(?:\.\d+)?)/.exec(r.output);
  assert.ok(m, r.output);
  assert.ok(Number(m[1]) <= MAX_EXPOSURE, `exposure ${m[1]}:\n${r.output}`);
});

test("the services: notify, watchdog, restart, umask, hardening, no MemoryDenyWriteExecute, no RuntimeDirectory", () => {
  for (const unit of ["agentstate.service", "user/agentstate.service"]) {
    const s = settings(unit);
    const one = (key: string) => s.get(key)?.join(" ");
    assert.equal(one("Type"), "notify", unit);
    assert.equal(one("NotifyAccess"), "all", unit);
    assert.match(one("WatchdogSec") ?? "", /^\d+s?$/, unit);
    assert.equal(one("Restart"), "on-failure", unit);
    assert.equal(one("UMask"), "0077", unit);
    assert.equal(one("StateDirectory"), "agentstate", unit);
    assert.equal(one("NoNewPrivileges"), "yes", unit);
    assert.equal(one("LockPersonality"), "yes", unit);
    assert.equal(one("RestrictAddressFamilies"), "AF_UNIX AF_INET AF_INET6", unit);
    assert.ok(s.get("SystemCallFilter")?.includes("@system-service"), unit);
    assert.ok(!s.has("MemoryDenyWriteExecute"), `${unit}: MemoryDenyWriteExecute breaks V8's JIT`);
    assert.ok(!s.has("RuntimeDirectory"), `${unit}: the socket unit owns the socket's folder`);
  }
  const sys = settings("agentstate.service");
  for (const key of ["ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups"]) {
    assert.ok(sys.has(key), `system service lacks ${key}`);
  }
  assert.equal(sys.get("ProtectSystem")?.[0], "strict");
  assert.deepEqual(sys.get("CapabilityBoundingSet"), [""]);
});

test("the sockets own their path: SocketMode, DirectoryMode, RemoveOnStop, at the paths the CLI uses", () => {
  const sys = settings("agentstate.socket");
  assert.deepEqual(sys.get("ListenStream"), ["/run/agentstate/agentstate.sock"]);
  assert.deepEqual(sys.get("SocketMode"), ["0660"]);
  assert.deepEqual(sys.get("RemoveOnStop"), ["yes"]);
  assert.ok(sys.has("DirectoryMode"));
  assert.deepEqual(sys.get("FileDescriptorName"), ["agentstate"]);
  const user = settings("user/agentstate.socket");
  assert.deepEqual(user.get("ListenStream"), ["%t/agentstate/agentstate.sock"], "$XDG_RUNTIME_DIR/agentstate/agentstate.sock, the CLI default");
  assert.deepEqual(user.get("SocketMode"), ["0600"]);
  assert.deepEqual(user.get("DirectoryMode"), ["0700"]);
  assert.deepEqual(user.get("RemoveOnStop"), ["yes"]);
});

test("the launchd plist parses and keeps the daemon alive with logs and throttling", (t) => {
  if (!requireTool(t, "python3")) return;
  const dir = tempDir(t);
  const plist = join(dir, "agent.plist");
  copyFileSync(join(SYSTEMD, "dev.agentstate.agentstated.plist"), plist);
  const r = spawnSync("python3", ["-c", "import json,plistlib,sys;print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))", plist], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(p.Label, "dev.agentstate.agentstated");
  assert.ok(Array.isArray(p.ProgramArguments) && String(p.ProgramArguments[0]).endsWith("/agentstated"));
  assert.equal(p.RunAtLoad, true);
  assert.deepEqual(p.KeepAlive, { SuccessfulExit: false });
  assert.equal(typeof p.ThrottleInterval, "number");
  assert.equal(typeof p.StandardErrorPath, "string");
  assert.equal(typeof p.StandardOutPath, "string");
  assert.equal(p.Umask, 0o077);
});

test("the health-check script is a POSIX sh script that parses", () => {
  const r = spawnSync("sh", ["-n", join(SYSTEMD, "agentstate-healthcheck")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(join(SYSTEMD, "agentstate-healthcheck"), "utf8"), /^#!\/bin\/sh\n/);
});

test("the system user, the socket folder and the units agree (sysusers.d, tmpfiles.d)", () => {
  const service = settings("agentstate.service");
  const socket = settings("agentstate.socket");
  const user = service.get("User")?.[0];
  assert.equal(user, "agentstate");
  assert.deepEqual(socket.get("SocketUser"), [user]);
  assert.match(readFileSync(join(SYSTEMD, "agentstate.sysusers"), "utf8"), new RegExp(`^u ${user} `, "m"));
  const folder = (socket.get("ListenStream")?.[0] ?? "").replace(/\/[^/]+$/, "");
  assert.match(readFileSync(join(SYSTEMD, "agentstate.tmpfiles"), "utf8"), new RegExp(`^d ${folder} 0750 ${user} ${user} -$`, "m"));
  assert.ok(service.get("Environment")?.includes(`AGENTSTATE_SOCKET=${socket.get("ListenStream")?.[0]}`), "the daemon knows the path it serves");
});
