/**
 * vitest runs only LangGraph's official checkpointer suite (it is written for vitest with globals);
 * every other test runs under node:test. It runs the compiled files in dist/, like node:test, after
 * `npm run build`: `npm run test:langgraph`.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import CountReporter from "./count-reporter.js";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../../..", import.meta.url)),
    include: ["dist/test/langgraph/*.vitest.js"],
    globals: true,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ["default", new CountReporter()],
  },
});
