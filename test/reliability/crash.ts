/**
 * R1: SIGKILL the daemon at random moments under 8-client write load, restart it, 20 rounds; every
 * acknowledged append must be present exactly once and every file readable. A function of the
 * daemon arguments, so each durable backend runs the same test.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect } from "../../src/client/index.js";
import { exited, spawnDaemon } from "../helpers/spawn-daemon.js";

const WRITER = fileURLToPath(new URL("../fixtures/crash-writer.js", import.meta.url));

export interface CrashOptions {
  socket: string;
  daemonArgs: string[];
  rounds?: number;
  writers?: number;
  /** Deterministic pseudo-random kill delays. */
  seed?: number;
}

export async function crashRounds(opts: CrashOptions): Promise<{ acked: number; rounds: number }> {
  const rounds = opts.rounds ?? 20;
  let seed = opts.seed ?? 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const acked = new Map<string, Map<string, number>>(); // writer → content → seq
  const writers: ChildProcess[] = [];
  let ackCount = 0;
  let daemon = await spawnDaemon(opts.daemonArgs);
  try {
    for (let w = 0; w < (opts.writers ?? 8); w++) {
      const child = spawn(process.execPath, [WRITER, opts.socket, String(w)], { stdio: ["ignore", "pipe", "inherit"] });
      const mine = new Map<string, number>();
      acked.set(String(w), mine);
      let buf = "";
      child.stdout?.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const l of lines) {
          const [kind, content, seq] = l.split(" ");
          if (kind === "ack") {
            mine.set(content, Number(seq));
            ackCount++;
          }
        }
      });
      writers.push(child);
    }
    for (let r = 0; r < rounds; r++) {
      // Kill under load: once the writers are acknowledged again after the restart (a daemon takes
      // 1–2 s to start on a busy machine), at a random moment within the next 350 ms.
      const mark = ackCount;
      const deadline = Date.now() + 5000;
      while (ackCount === mark && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
      await new Promise((res) => setTimeout(res, 20 + random() * 330));
      daemon.child.kill("SIGKILL");
      await exited(daemon.child);
      daemon = await spawnDaemon(opts.daemonArgs);
    }
    await new Promise((res) => setTimeout(res, 300));
  } finally {
    for (const w of writers) w.kill("SIGTERM");
    await Promise.all(writers.map(exited));
  }
  // Everything acknowledged is there once, in a readable file, in seq order.
  const client = await connect({ socket: opts.socket });
  let total = 0;
  try {
    for (const [w, mine] of acked) {
      const stored: { content?: unknown; seq: number }[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.messages.list({ sessionId: `crash-${w}`, limit: 1000, cursor });
        stored.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const contents = stored.map((m) => String(m.content));
      assert.equal(new Set(contents).size, contents.length, `writer ${w}: a message is stored twice`);
      const seqs = stored.map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `writer ${w}: seqs out of order`);
      const bySeq = new Map(stored.map((m) => [String(m.content), m.seq]));
      for (const [content, seq] of mine) {
        assert.equal(bySeq.get(content), seq, `writer ${w}: acknowledged ${content} (seq ${seq}) is missing or moved`);
      }
      total += mine.size;
    }
  } finally {
    client.close();
    daemon.child.kill("SIGTERM");
    await exited(daemon.child);
  }
  assert.ok(total > rounds * 8, `too few acknowledged writes (${total}) for the test to mean anything`);
  return { acked: total, rounds };
}
