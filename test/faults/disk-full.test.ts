/**
 * R8 (SPEC §11): the data directory's filesystem fills up under write load, then space is freed,
 * then a clean restart — on a real, small filesystem (a tmpfs this test mounts; needs root, which
 * CI has). The daemon must stay up, refuse writes with a clear code, say so in health within 5 s,
 * accept writes again within 2 s of space returning without a restart, and after the restart hold
 * every acknowledged write, in order, once.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, statfsSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connect, type Client } from "../../src/client/index.js";
import { spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const asRoot = process.getuid?.() === 0;

function needsRoot(t: TestContext): boolean {
  if (asRoot) return true;
  if (process.env.CI === "true") throw new Error("R8 mounts a tmpfs and must run under CI, which runs as root");
  t.skip("mounting a small filesystem needs root");
  return false;
}

/** A tmpfs of `mb` MiB, unmounted after the test. */
function smallFilesystem(t: TestContext, mb: number): string {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-r8-"));
  const mnt = join(dir, "mnt");
  mkdirSync(mnt);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mb}m,mode=0700`, "tmpfs", mnt]);
  t.after(() => {
    execFileSync("umount", ["-l", mnt]);
    rmSync(dir, { recursive: true, force: true });
  });
  return mnt;
}

const PAD = "x".repeat(4000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<{ value: T; after: number }> {
  const t0 = Date.now();
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return { value, after: Date.now() - t0 };
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

for (const backend of ["jsonl", "sqlite"] as const) {
  test(`R8 ${backend}: a full disk refuses writes clearly, recovers without a restart, and loses nothing`, { timeout: 180_000 }, async (t) => {
    if (!needsRoot(t)) return;
    const mnt = smallFilesystem(t, 24);
    const socket = join(tempDir(t, "agentstate-r8-sock-"), "s.sock");
    const args = ["--backend", backend, "--data-dir", join(mnt, "data")];
    const daemon = await spawnDaemon(t, { socket, args });
    let client: Client = await connect({ socket, timeoutMs: 10_000 });
    t.after(() => client.close());
    await client.sessions.create({ id: "r8" });

    // Leave ~2 MiB free, then fill it with 4 writers of 4 KB messages.
    const free = () => Number(statfsSync(mnt).bavail) * Number(statfsSync(mnt).bsize);
    writeFileSync(join(mnt, "filler"), Buffer.alloc(Math.max(0, free() - 2 * 1024 * 1024)));
    const acked = new Map<number, string>();
    const codes = new Map<string, number>();
    let firstFailure = 0;
    const writer = async (w: number) => {
      let failuresInARow = 0;
      for (let i = 0; failuresInARow < 5 && i < 5000; i++) {
        const content = `${w}:${i}:${PAD}`;
        try {
          const r = await client.messages.append({ sessionId: "r8", messages: [{ role: "user", content }] });
          acked.set(r.firstSeq, content);
          failuresInARow = 0;
        } catch (err) {
          const code = (err as { data?: { code?: string } }).data?.code ?? String(err);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          firstFailure ||= Date.now();
          failuresInARow++;
          await sleep(20);
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    assert.ok(firstFailure > 0, "the disk filled up");
    assert.deepEqual([...codes.keys()], ["BACKEND_UNAVAILABLE"], `refused writes carry one clear code: ${JSON.stringify([...codes])}`);
    assert.equal(daemon.running, true, "the daemon stays up");

    const failed = await waitFor("health fails", 10_000, async () => {
      const h = await client.daemon.health();
      return h.checks.backend.status === "fail" ? h : undefined;
    });
    const healthAfter = Date.now() - firstFailure;
    assert.match(String(failed.value.checks.backend.message), /full|ENOSPC/i, "health says why");
    assert.ok(healthAfter <= 5000, `health failed ${healthAfter} ms after the first refused write (≤ 5 s)`);

    rmSync(join(mnt, "filler"));
    const spaceBack = Date.now();
    const recovered = await waitFor("a write succeeds again", 10_000, async () => {
      const r = await client.messages.append({ sessionId: "r8", messages: [{ role: "user", content: "after" }] });
      acked.set(r.firstSeq, "after");
      return r;
    });
    const recoverMs = Date.now() - spaceBack;
    assert.ok(recoverMs <= 2000, `writes resumed ${recoverMs} ms after space returned (≤ 2 s)`);
    for (let i = 0; i < 20; i++) {
      const r = await client.messages.append({ sessionId: "r8", messages: [{ role: "user", content: `more ${i}` }] });
      acked.set(r.firstSeq, `more ${i}`);
    }
    const healthy = await waitFor("health passes again", 10_000, async () => ((await client.daemon.health()).checks.backend.status === "pass" ? true : undefined));

    client.close();
    const exit = await daemon.kill("SIGTERM");
    assert.equal(exit.code, 0, "a clean stop");
    await spawnDaemon(t, { socket, args });
    client = await connect({ socket, timeoutMs: 10_000 });
    const stored: Array<{ seq: number; content: unknown }> = [];
    let cursor: string | undefined;
    do {
      const page = await client.messages.list({ sessionId: "r8", limit: 1000, cursor });
      stored.push(...page.items.map((m) => ({ seq: m.seq, content: m.content })));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const lost = [...acked.keys()].filter((seq) => !stored.some((m) => m.seq === seq && m.content === acked.get(seq)));
    assert.deepEqual(lost, [], "every acknowledged write is there after the restart");
    assert.equal(stored.length, acked.size, "and nothing that was refused");
    assert.deepEqual(stored.map((m) => m.seq), [...stored.map((m) => m.seq)].sort((a, b) => a - b), "in order");
    console.log(
      `R8 ${backend}: ${acked.size} acknowledged, 0 lost, ${[...codes.values()].reduce((a, b) => a + b, 0)} refused (BACKEND_UNAVAILABLE); ` +
        `health fail ${(healthAfter / 1000).toFixed(2)} s after the first refusal; writes back ${(recoverMs / 1000).toFixed(2)} s after space returned ` +
        `(${recovered.after} ms polling); health pass again ${(healthy.after / 1000).toFixed(2)} s later`,
    );
  });
}
