/**
 * Node flags the daemon runs with. The daemon's live heap is small, but without a cap V8 keeps tens
 * of MB of young-generation space after a burst of writes (measured: +84.6 MB RSS after 1M messages,
 * +18 MB with a 1 MB cap; docs/benchmarks.md, P7). 4 MB, not 1: with 1 MB, what the jsonl engine
 * holds for its 20 ms apply window outlives the young generation and is promoted, and a durable
 * append cost 142 instead of 117 µs of CPU (P2c, median of 3 rounds; in one P7 run, growth +26 MB
 * with 4 and +21 MB with 1). V8 reads this only at start, so it must be on the command line:
 * bin/agentstated.js's shebang, `npm start` and CLI autostart pass it (test/packaging/node-flags.test.ts
 * checks all three).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];
