/** The multi-daemon suite on the memory backend: several schedulers sharing one backend object. */
import { describeMultiDaemon } from "./multi.js";
import { memoryBackend } from "./harness.js";

describeMultiDaemon("memory", async (daemons, clock) => {
  const backend = memoryBackend(clock);
  return { handles: Array.from({ length: daemons }, () => backend), close: async () => undefined };
});
