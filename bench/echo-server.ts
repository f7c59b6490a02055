/**
 * P1's floor: the least a Node process can do to answer an NDJSON ping (split lines, JSON.parse,
 * JSON.stringify, write), with no framing limits, validation or dispatch. The gap between this and
 * the daemon is what agentstate adds; the rest is the machine's IPC and scheduling.
 *
 *   node dist/bench/echo-server.js <socket>      prints "listening" on stderr when ready
 */
import { createServer } from "node:net";

const path = process.argv[2];
const server = createServer((socket) => {
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      const { id } = JSON.parse(buffered.slice(0, nl)) as { id: number };
      buffered = buffered.slice(nl + 1);
      socket.write(JSON.stringify({ jsonrpc: "2.0", id, result: "pong" }) + "\n");
    }
  });
  socket.on("error", () => undefined);
});
server.listen(path, () => process.stderr.write("listening\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
