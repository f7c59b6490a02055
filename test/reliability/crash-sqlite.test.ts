import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers/tmp.js";
import { crashRounds } from "./crash.js";

test("R1 sqlite: SIGKILL under 8-writer load, 20 rounds, loses no acknowledged write", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "s.sock");
  const t0 = performance.now();
  const { acked } = await crashRounds({ socket, daemonArgs: ["--socket", socket, "--backend", "sqlite", "--data-dir", join(dir, "data"), "--log-level", "warn"] });
  t.diagnostic(`acknowledged appends checked: ${acked} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
