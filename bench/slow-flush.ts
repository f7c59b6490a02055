/**
 * The slow disk of P2s and the flush counter of P2/P2s: builds bench/slow-flush.c into an
 * LD_PRELOAD library with the machine's C compiler (once per run), and gives the environment that
 * makes a process use it. Without a C compiler there is no shim: P2s is skipped with the reason and
 * P2 runs without flush counts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./harness.js";

export type Shim = { library: string } | { skipped: string };

let built: Shim | undefined;

/** The shim library, compiled on first use; `skipped` says why there is none. */
export function slowFlushShim(): Shim {
  built ??= build();
  return built;
}

function build(): Shim {
  if (process.platform !== "linux") return { skipped: `LD_PRELOAD shim is Linux-only (this is ${process.platform})` };
  const compiler = ["cc", "gcc", "clang"].find((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);
  if (!compiler) return { skipped: "no C compiler (cc, gcc or clang) on PATH to build the fsync shim" };
  const dir = mkdtempSync(join(tmpdir(), "agentstate-bench-shim-"));
  const library = join(dir, "slow-flush.so");
  const r = spawnSync(compiler, ["-shared", "-fPIC", "-O2", "-o", library, join(ROOT, "bench", "slow-flush.c"), "-ldl"], { encoding: "utf8" });
  if (r.status !== 0) return { skipped: `${compiler} could not build bench/slow-flush.c: ${(r.stderr || r.error?.message || "").trim()}` };
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return { library };
}

/**
 * Counts the fsync/fdatasync calls (and the time in them) of every process started with its env:
 * the shim adds to two 64-bit counters in a shared file. `flushUs` is the delay added to each.
 */
export class FlushCounter {
  readonly path: string;
  private readonly dir: string;

  constructor(
    private readonly library: string,
    readonly flushUs: number,
  ) {
    this.dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "agentstate-bench-syncs-"));
    this.path = join(this.dir, "counters");
  }

  env(): NodeJS.ProcessEnv {
    return { LD_PRELOAD: this.library, AGENTSTATE_BENCH_FLUSH_US: String(this.flushUs), AGENTSTATE_BENCH_SYNC_STATS: this.path };
  }

  /** Syncs so far and the seconds spent in them, over every process using this counter. */
  read(): { syncs: number; seconds: number } {
    let buf: Buffer;
    try {
      buf = readFileSync(this.path);
    } catch {
      return { syncs: 0, seconds: 0 };
    }
    if (buf.length < 16) return { syncs: 0, seconds: 0 };
    return { syncs: Number(buf.readBigUInt64LE(0)), seconds: Number(buf.readBigUInt64LE(8)) / 1e9 };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
