/**
 * One NDJSON connection to the daemon with request/response matching, timeouts and reconnection:
 * when the socket drops, calls in flight fail with ConnectionLostError and the next call (or the
 * reconnect loop, while someone listens for notifications) connects again.
 */
import { createConnection, type Socket } from "node:net";
import { EventEmitter } from "node:events";
import { LineSplitter } from "../rpc/framing.js";
import { ConnectionLostError, DaemonUnreachableError, RequestTimeoutError, RpcCallError } from "./errors.js";

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
}

export interface ConnectionOptions {
  socketPath: string;
  /** Per-request timeout; 0 disables. */
  timeoutMs: number;
  /** How long one connect (or reconnect) keeps trying before DaemonUnreachableError. */
  connectTimeoutMs: number;
}

export class Connection extends EventEmitter<{
  notification: [method: string, params: Record<string, unknown>];
  reconnected: [];
  disconnected: [];
  /** close() was called: nothing reconnects any more. */
  closed: [];
}> {
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private everConnected = false;

  constructor(private readonly opts: ConnectionOptions) {
    super();
  }

  async open(): Promise<void> {
    if (this.closed) throw new Error("client is closed");
    await this.ensureSocket();
  }

  async call(method: string, params?: unknown): Promise<unknown> {
    if (this.closed) throw new Error("client is closed");
    const socket = await this.ensureSocket();
    const id = this.nextId++;
    const frame = JSON.stringify(params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => {
      const p: Pending = { method, resolve, reject };
      if (this.opts.timeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new RequestTimeoutError(method, this.opts.timeoutMs));
        }, this.opts.timeoutMs);
      }
      this.pending.set(id, p);
      socket.write(frame + "\n");
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.destroy();
    this.failPending();
    this.emit("closed");
  }

  private ensureSocket(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= this.connectWithRetry().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectWithRetry(): Promise<Socket> {
    const deadline = Date.now() + this.opts.connectTimeoutMs;
    let delay = 20;
    for (;;) {
      try {
        const socket = await this.connectOnce();
        if (this.closed) {
          socket.destroy();
          throw new Error("client is closed");
        }
        this.attach(socket);
        if (this.everConnected) this.emit("reconnected");
        this.everConnected = true;
        return socket;
      } catch (err) {
        if (this.closed || Date.now() + delay > deadline) throw new DaemonUnreachableError(this.opts.socketPath, err);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 500);
      }
    }
  }

  private connectOnce(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.opts.socketPath);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(socket);
      });
      socket.once("error", reject);
    });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
    socket.on("data", (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) this.onLine(line.toString("utf8"));
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
      this.failPending();
      if (!this.closed) this.emit("disconnected");
    });
  }

  private onLine(line: string): void {
    let msg: { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: Record<string, unknown> }; method?: string; params?: Record<string, unknown> };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof msg.method === "string" && msg.id === undefined) {
      this.emit("notification", msg.method, msg.params ?? {});
      return;
    }
    if (typeof msg.id !== "number") return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new RpcCallError(msg.error.code, msg.error.message, msg.error.data, p.method));
    else p.resolve(msg.result);
  }

  private failPending(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ConnectionLostError(p.method));
    }
    this.pending.clear();
  }
}
