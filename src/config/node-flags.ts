/**
 * Node flags the daemon runs with. The daemon's live heap is small, but without a cap V8 keeps tens
 * of MB of young-generation space after a burst of writes (measured: +84.6 MB RSS after 1M messages,
 * +18 MB with the cap, no slower; docs/benchmarks.md, P7). V8 reads this only at start, so it must be
 * on the command line: bin/agentstated.js's shebang, `npm start` and CLI autostart pass it.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1"];
