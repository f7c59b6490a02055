/**
 * How long one flush takes here: appends ~200 bytes to a file and fdatasyncs it, `count` times,
 * and prints the latency summary (µs) of the fdatasync alone. Run with the slow-flush shim's
 * environment it measures the simulated disk (P2s's flush time); without it, this machine's disk.
 *
 *   node dist/bench/flush-probe.js <dir> <count>
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { summarize } from "./stats.js";

const [dirArg, countArg] = process.argv.slice(2);
const count = Number(countArg);
const dir = mkdtempSync(join(dirArg, "flush-probe-"));
const fd = openSync(join(dir, "probe"), "a", 0o600);
const line = "x".repeat(199) + "\n";
const samples = new Float64Array(count);
for (let i = 0; i < count; i++) {
  writeSync(fd, line);
  const t0 = process.hrtime.bigint();
  fdatasyncSync(fd);
  samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
}
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify(summarize(samples)) + "\n");
