/**
 * runs.claim across real processes (SPEC §3.3, docs/scheduler.md "Event runs and claims"): a spawned
 * daemon, an event job triggered with jobs.trigger, and claimer processes (test/fixtures/claimer.ts).
 * Eight processes race `runs.claim { jobId }`: exactly one gets the run. A claimer that holds the
 * claim is SIGKILLed before runs.finish: the run goes back to pending (attempt + 1, announced again
 * as run.fired) and another process claims it; after the third claim dies the run is abandoned
 * (DEFAULT_MAX_ATTEMPTS = 3) and nobody can claim it any more.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { connect } from "../../src/client/index.js";
import type { Run } from "../../src/domain/jobs.js";
import { collect, eventually } from "../events/collect.js";
import { ChildWatch, spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const CLAIMER = fileURLToPath(new URL("../fixtures/claimer.js", import.meta.url));
const RACERS = 8;

class Claimer {
  readonly watch: ChildWatch;

  constructor(t: TestContext, socket: string, readonly worker: string, mode: "hold" | "exit" = "hold") {
    const child = spawn(process.execPath, ["--enable-source-maps", CLAIMER, socket, "e", worker, mode], { stdio: ["pipe", "pipe", "pipe"] });
    this.watch = new ChildWatch(child);
    t.after(() => this.watch.kill("SIGKILL"));
  }

  /** The rest of the first stdout line starting with `prefix`, once it is printed. */
  async line(prefix: string, ms = 15_000): Promise<string> {
    return eventually(() => {
      const found = this.watch.stdout.split("\n").find((l) => l.startsWith(prefix));
      if (found !== undefined) return found.slice(prefix.length);
      if (!this.watch.running) throw new Error(`${this.worker} exited first: ${this.watch.stderr}`);
      throw new Error(`${this.worker}: no "${prefix}" line within ${ms} ms; stdout: ${this.watch.stdout}; stderr: ${this.watch.stderr}`);
    }, ms);
  }

  ready(): Promise<string> {
    return this.line("ready");
  }

  go(): void {
    this.watch.child.stdin?.write("go\n");
  }

  async claimed(): Promise<Run | null> {
    return JSON.parse(await this.line("claimed ")) as Run | null;
  }

  /** Starts, claims at once, and returns what it got. */
  static async claimOnce(t: TestContext, socket: string, worker: string, mode: "hold" | "exit" = "hold"): Promise<{ claimer: Claimer; run: Run | null }> {
    const claimer = new Claimer(t, socket, worker, mode);
    await claimer.ready();
    claimer.go();
    return { claimer, run: await claimer.claimed() };
  }
}

test("claimer processes: one of eight wins the race; a SIGKILLed claim goes back to pending, then is abandoned after 3 attempts", { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t, "agentstate-claims-");
  const socket = join(dir, "run", "d.sock");
  const daemon = await spawnDaemon(t, { socket, args: ["--timezone", "UTC"] });
  const admin = await connect({ socket, timeoutMs: 10_000 });
  t.after(() => admin.close());

  await admin.jobs.save({ id: "e", schedule: { cron: "0 3 * * *" }, action: { type: "event" }, payload: { prompt: "hi" } });
  const feed = await collect(admin, ["runs"]);
  const run = await admin.jobs.trigger({ id: "e" });
  assert.deepEqual([run.status, run.attempt], ["pending", 1]);

  // 1. Eight processes, all connected, told to claim at the same moment: exactly one gets the run.
  const racers = Array.from({ length: RACERS }, (_, i) => new Claimer(t, socket, `racer-${i}`));
  await Promise.all(racers.map((c) => c.ready()));
  for (const c of racers) c.go();
  const results = await Promise.all(racers.map((c) => c.claimed()));
  const winners = racers.filter((_, i) => results[i] !== null);
  assert.equal(winners.length, 1, `claims: ${JSON.stringify(results.map((r) => r?.id ?? null))}`);
  assert.equal(results.filter((r) => r === null).length, RACERS - 1);
  const [winner] = winners;
  const won = results.find((r) => r !== null);
  assert.deepEqual([won?.id, won?.status, won?.attempt, won?.claimedBy], [run.id, "claimed", 1, winner.worker]);

  // The losers going away releases nothing: they hold no claim.
  await Promise.all(racers.filter((c) => c !== winner).map((c) => c.watch.kill("SIGKILL")));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(pick(await admin.runs.get({ id: run.id })), ["claimed", 1, winner.worker]);

  // 2. The holder dies before runs.finish: back to pending, attempt 2, and another process claims it.
  await winner.watch.kill("SIGKILL");
  await released(2);
  const second = await Claimer.claimOnce(t, socket, "second");
  assert.deepEqual([second.run?.id, second.run?.attempt, second.run?.claimedBy], [run.id, 2, "second"]);

  // 3. That one dies too: attempt 3 for a third process; when it dies the run is abandoned.
  await second.claimer.watch.kill("SIGKILL");
  await released(3);
  const third = await Claimer.claimOnce(t, socket, "third");
  assert.deepEqual([third.run?.id, third.run?.attempt], [run.id, 3]);
  await third.claimer.watch.kill("SIGKILL");
  const abandoned = await eventually(async () => {
    const r = await admin.runs.get({ id: run.id });
    assert.equal(r.status, "abandoned");
    return r;
  }, 10_000);
  assert.match(abandoned.error ?? "", /abandoned after 3 attempts/);
  assert.equal((await admin.jobs.get({ id: "e" })).lastStatus, "abandoned");

  // Nothing is left to claim.
  const late = await Claimer.claimOnce(t, socket, "late", "exit");
  assert.equal(late.run, null);
  assert.equal((await late.claimer.watch.exited).code, 0);

  // The events feed told the same story, in order.
  const story = await feed.waitForChanges(7, 10_000);
  assert.deepEqual(
    story.map((c) => {
      const d = c.data as { status?: string; attempt?: number } | undefined;
      return `${c.type} ${c.id} ${d?.status} ${d?.attempt}`;
    }),
    [
      `run.fired ${run.id} pending 1`,
      `run.claimed ${run.id} claimed 1`,
      `run.fired ${run.id} pending 2`,
      `run.claimed ${run.id} claimed 2`,
      `run.fired ${run.id} pending 3`,
      `run.claimed ${run.id} claimed 3`,
      `run.finished ${run.id} abandoned 3`,
    ],
  );
  const health = await admin.daemon.health({});
  assert.equal(health.checks.scheduler?.claims, 0, "no claim left registered");
  assert.ok(daemon.running);

  async function released(attempt: number): Promise<void> {
    await eventually(async () => {
      assert.deepEqual(pick(await admin.runs.get({ id: run.id })), ["pending", attempt, undefined]);
    }, 10_000);
  }
});

const pick = (r: Run) => [r.status, r.attempt, r.claimedBy];
