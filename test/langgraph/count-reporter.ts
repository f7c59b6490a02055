/**
 * Prints one closing line with the suite's counts ("langgraph-validation: N passed, N failed,
 * N skipped") so that CI logs show how many official cases ran on every backend. A skipped case
 * fails the run: nothing in the official suite is skipped for agentstate, so a skip means the suite
 * or our wiring changed.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class CountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const perFile: string[] = [];
    for (const m of modules) {
      const file = { passed: 0, failed: 0, skipped: 0 };
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        const key = state === "passed" ? "passed" : state === "failed" ? "failed" : "skipped";
        file[key]++;
        counts[key]++;
      }
      perFile.push(`  ${m.moduleId.split("/").pop() ?? m.moduleId}: ${file.passed} passed, ${file.failed} failed, ${file.skipped} skipped`);
    }
    process.stdout.write(`${perFile.join("\n")}\nlanggraph-validation: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
    if (counts.skipped > 0 || counts.failed > 0 || modules.length === 0) process.exitCode = 1;
  }
}
