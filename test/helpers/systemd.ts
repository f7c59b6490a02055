/**
 * Playing systemd's part in ops tests: a notify socket (a Unix datagram socket, which Node cannot
 * open, so a small python3 script binds it and prints each message as a JSON line), and a check for
 * the external tools a test needs. A missing tool skips the test with its reason, except under
 * CI=true, where .ci/run installs them and a missing one is a failure.
 */
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { ChildWatch } from "./spawn.js";
import { tempDir } from "./tmp.js";

/** The Debian package that provides each tool (.ci/run installs them). */
const PACKAGES: Record<string, string> = {
  "systemd-analyze": "systemd",
  "systemd-notify": "systemd",
  python3: "python3",
};

/** Whether `tool` can be run; otherwise skips `t` (or throws under CI=true). */
export function requireTool(t: TestContext, tool: string): boolean {
  const probe = spawnSync(tool, ["--version"], { stdio: "ignore" });
  if (!probe.error) return true;
  const reason = `${tool} is not installed (Debian package ${PACKAGES[tool] ?? tool})`;
  if (process.env.CI === "true") throw new Error(`${reason}; .ci/run must install it`);
  process.stderr.write(`# skipped: ${reason}\n`);
  t.skip(reason);
  return false;
}

const RECEIVER = `
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
while True:
    data, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
            for fd in fds:
                os.close(fd)  # releases systemd-notify's barrier, as systemd does
    print(json.dumps({"message": data.decode("utf-8", "replace")}), flush=True)
`;

export interface NotifySocket {
  readonly path: string;
  /** Every message received so far, each split into its KEY=value lines. */
  messages(): string[][];
  /** Resolves with the first message that has a line matching `pred`. */
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string[]>;
  /** Lines across every message, in order. */
  lines(): string[];
}

/** A fake NOTIFY_SOCKET, removed with its receiver after the test. */
export async function fakeNotifySocket(t: TestContext): Promise<NotifySocket> {
  const dir = tempDir(t, "agentstate-notify-");
  const script = join(dir, "receiver.py");
  writeFileSync(script, RECEIVER);
  const path = join(dir, "notify.sock");
  const watch = new ChildWatch(spawn("python3", [script, path], { stdio: ["ignore", "pipe", "pipe"] }));
  t.after(() => watch.kill("SIGKILL"));
  const parsed = (): string[][] =>
    watch.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { message?: string })
      .flatMap((m) => (m.message === undefined ? [] : [m.message.split("\n").filter(Boolean)]));
  const deadline = Date.now() + 10_000;
  while (!watch.stdout.includes('"bound"')) {
    if (!watch.running || Date.now() > deadline) throw new Error(`notify receiver did not start: ${watch.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    path,
    messages: parsed,
    lines: () => parsed().flat(),
    async waitFor(pred, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = parsed().find((m) => m.some(pred));
        if (found) return found;
        if (Date.now() > until) throw new Error(`no matching notify message within ${timeoutMs} ms; got ${JSON.stringify(parsed())}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
