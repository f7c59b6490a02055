/** Tracks every connection, for stats and for draining on shutdown. */
import type { Socket } from "node:net";
import { RpcConnection, type ConnectionOptions } from "./connection.js";
import type { Dispatcher } from "./dispatcher.js";

export class RpcServer {
  readonly connections = new Set<RpcConnection>();
  totalConnections = 0;

  constructor(
    readonly dispatcher: Dispatcher,
    private readonly opts: ConnectionOptions,
  ) {}

  attach(socket: Socket): RpcConnection {
    const conn = new RpcConnection(socket, this.dispatcher, this.opts);
    this.connections.add(conn);
    this.totalConnections++;
    conn.onceClosed(() => this.connections.delete(conn));
    return conn;
  }

  get inFlight(): number {
    let n = 0;
    for (const c of this.connections) n += c.inFlight;
    return n;
  }

  /** Resolves when no request is in flight, or after `timeoutMs`; true if it drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const idle = Promise.all([...this.connections].map((c) => c.whenIdle())).then(() => true);
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every connection, flushing queued replies for up to `graceMs` (0: at once). */
  closeAll(graceMs = 2000): void {
    for (const c of this.connections) c.close(graceMs);
  }
}
