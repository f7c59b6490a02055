/** Per-test temporary directories, removed after the test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

const leftOver = new Set<string>();
process.once("exit", () => {
  for (const dir of leftOver) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

/**
 * node:test runs after-hooks first to last, so this removal comes before the hooks of whatever the
 * test started later in the directory (a daemon that is still finishing its file writes). A removal
 * that races such a writer must not fail the hook — a failed hook skips the hooks after it, and the
 * daemon they would stop keeps the test file running — so it is tried again when the process exits.
 */
export function tempDir(t: TestContext | { after(fn: () => void): void }, prefix = "agentstate-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2, retryDelay: 50 });
    } catch {
      leftOver.add(dir);
    }
  });
  return dir;
}
