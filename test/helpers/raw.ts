/**
 * A raw NDJSON socket for protocol tests: send exact bytes, read reply lines one at a time with a
 * timeout, and see when the daemon closes the connection. No client library in between.
 */
import { createConnection, type Socket } from "node:net";
import type { TestContext } from "node:test";
import { LineSplitter } from "../../src/rpc/framing.js";

export interface RpcReply {
  jsonrpc: "2.0";
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

export class RawSocket {
  private readonly lines: string[] = [];
  private waiter?: () => void;
  private readonly splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
  /** Resolves when the peer has closed the connection (or it failed). */
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const line of this.splitter.push(chunk)) this.lines.push(line.toString("utf8"));
      this.wake();
    });
    socket.on("error", () => undefined); // EPIPE/ECONNRESET after the daemon hangs up; 'close' follows
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(path: string, t?: Pick<TestContext, "after">): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        const raw = new RawSocket(socket);
        t?.after(() => raw.destroy());
        resolve(raw);
      });
    });
  }

  /** Writes bytes as they are; resolves once they are handed to the kernel. */
  send(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Writes one JSON value followed by a newline. */
  sendJson(value: unknown): Promise<void> {
    return this.send(JSON.stringify(value) + "\n");
  }

  /** The next reply line; rejects after `timeoutMs`, or if the connection closes first. */
  async nextLine(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.isClosed) throw new Error("connection closed before a reply line arrived");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  async next<T = RpcReply>(timeoutMs?: number): Promise<T> {
    return JSON.parse(await this.nextLine(timeoutMs)) as T;
  }

  /** Sends one request and returns the next reply (only meaningful with nothing else in flight). */
  async roundTrip<T = RpcReply>(value: unknown, timeoutMs?: number): Promise<T> {
    await this.sendJson(value);
    return this.next<T>(timeoutMs);
  }

  /** Reads `n` reply lines. */
  async take(n: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const out: string[] = [];
    while (out.length < n) out.push(await this.nextLine(Math.max(1, deadline - Date.now())));
    return out;
  }

  /** Lines received but not read yet. */
  get buffered(): readonly string[] {
    return this.lines;
  }

  /** Sends `daemon.ping` with a fresh id and reads until its reply, returning everything else read on the way. */
  async syncPing(timeoutMs = 5000): Promise<string[]> {
    const id = `sync-${Math.random().toString(36).slice(2)}`;
    await this.sendJson({ jsonrpc: "2.0", id, method: "daemon.ping" });
    const others: string[] = [];
    for (;;) {
      const line = await this.nextLine(timeoutMs);
      const msg = JSON.parse(line) as RpcReply;
      if (!Array.isArray(msg) && msg.id === id) {
        if (msg.result !== "pong") throw new Error(`unexpected ping reply: ${line}`);
        return others;
      }
      others.push(line);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    this.waiter?.();
  }
}
