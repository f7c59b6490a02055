/**
 * R3's well-behaved client, run in a worker thread so that its latencies measure the daemon and
 * not the fuzzer's own event loop: create, append, list, ping and delete in a loop, checking every answer
 * and timing every call, until the parent posts "stop".
 */
import { parentPort, workerData } from "node:worker_threads";
import { connect } from "../../src/client/index.js";

export interface GoodClientReport {
  latencies: number[];
  errors: string[];
}

const port = parentPort;
if (port) {
  let stopping = false;
  port.once("message", () => (stopping = true));
  const latencies: number[] = [];
  const errors: string[] = [];
  const c = await connect({ socket: (workerData as { socket: string }).socket, timeoutMs: 30_000 });
  const timed = async <T>(p: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await p();
    latencies.push(performance.now() - t0);
    return v;
  };
  try {
    for (let i = 0; !stopping; i++) {
      const id = `good-${i}`;
      const s = await timed(() => c.sessions.create({ id, title: `title ${i}` }));
      if (s.id !== id || s.title !== `title ${i}`) errors.push(`create ${i}: ${JSON.stringify(s)}`);
      await timed(() => c.messages.append({ sessionId: id, messages: [{ role: "user", content: `m${i}` }] }));
      const page = await timed(() => c.messages.list({ sessionId: id }));
      if (page.items.length !== 1 || page.items[0]?.content !== `m${i}`) errors.push(`list ${i}: ${JSON.stringify(page)}`);
      if ((await timed(() => c.daemon.ping())) !== "pong") errors.push(`ping ${i}`);
      // Deleted again, so that the daemon's memory growth measures the storm and not this client's data.
      await timed(() => c.sessions.delete({ id }));
    }
  } catch (err) {
    errors.push(`well-behaved client failed: ${(err as Error).message}`);
  } finally {
    c.close();
  }
  port.postMessage({ latencies, errors } satisfies GoodClientReport);
}
