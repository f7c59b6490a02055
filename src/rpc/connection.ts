/**
 * One client connection: frames lines, dispatches them concurrently, writes replies and
 * notifications, and applies backpressure both ways (too many requests in flight, or a peer that
 * does not read its replies, pause reading).
 *
 * Replies and notifications are not written one syscall each: what is written during one turn of
 * the event loop (a read's requests answered, a change fanned out to a connection's subscriptions)
 * is collected, in order, and handed to the socket as one string on process.nextTick — after the
 * promise continuations that produce replies, before the loop moves on. A sequential client still
 * gets its reply in the same turn, so latency is unchanged.
 */
import type { Socket } from "node:net";
import type { CallContext, Dispatcher, DispatchLogger } from "./dispatcher.js";
import { errorResponse, invalidRequest } from "./envelope.js";
import { LineSplitter, LineTooLongError } from "./framing.js";

export interface ConnectionOptions {
  maxLineBytes: number;
  /** Requests dispatched but not yet answered before reading pauses. */
  maxInFlight: number;
  logger: DispatchLogger;
}

let nextConnectionId = 1;
/** Written text (UTF-16 units) at which a connection writes at once instead of at the end of the turn. */
const FLUSH_AT = 64 * 1024;

export class RpcConnection implements CallContext {
  readonly connectionId = nextConnectionId++;
  private readonly splitter: LineSplitter;
  private inFlightCount = 0;
  private writeBlocked = false;
  private closed = false;
  /** Lines written this turn, not yet handed to the socket (see flushOut). */
  private outText = "";
  private flushQueued = false;
  private readonly closeListeners: Array<() => void> = [];
  private readonly idleListeners: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    private readonly dispatcher: Dispatcher,
    private readonly opts: ConnectionOptions,
  ) {
    this.splitter = new LineSplitter(opts.maxLineBytes);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => {
      this.writeBlocked = false;
      this.updateFlow();
    });
    socket.on("error", () => undefined); // 'close' follows; peers vanishing is normal
    socket.on("close", () => this.onClose());
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes (UTF-16 units, as the socket counts strings) written that the peer has not read yet. */
  get pendingWriteBytes(): number {
    return this.socket.writableLength + this.outText.length;
  }

  onceClosed(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Resolves when nothing is in flight on this connection. */
  whenIdle(): Promise<void> {
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleListeners.push(resolve));
  }

  notify(method: string, params: Record<string, unknown>): void {
    this.write(JSON.stringify({ jsonrpc: "2.0", method, params }));
  }

  /**
   * Closes the connection. With `graceMs`, replies already queued are flushed first (a large reply
   * to the last request in flight must not be cut short by a shutdown), and the socket is destroyed
   * after `graceMs` at the latest if the peer does not read them.
   */
  close(graceMs = 0): void {
    if (this.closed) return;
    if (graceMs <= 0) {
      this.socket.destroy();
      return;
    }
    const timer = setTimeout(() => this.socket.destroy(), graceMs);
    timer.unref();
    this.socket.once("close", () => clearTimeout(timer));
    this.socket.removeAllListeners("data");
    this.flushOut();
    this.socket.end(() => this.socket.destroy());
  }

  /** Half-close once queued writes are flushed. */
  end(): void {
    if (this.closed) return;
    this.flushOut();
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    let lines: Buffer[];
    try {
      lines = this.splitter.push(chunk);
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      for (const line of err.complete) this.dispatch(line);
      this.rejectOversized(err);
      return;
    }
    for (const line of lines) this.dispatch(line);
  }

  private dispatch(raw: Buffer): void {
    const line = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw;
    if (line.length === 0) return;
    this.inFlightCount++;
    this.updateFlow();
    // One continuation per request (not then/catch/finally: three promises per request).
    this.dispatcher.handleLine(line, this).then(this.answered, this.failed);
  }

  private readonly answered = (reply: string | undefined): void => {
    try {
      if (reply !== undefined) this.write(reply);
    } catch (err) {
      this.opts.logger.error("failed to answer a request", { error: String(err) });
    }
    this.settled();
  };

  private readonly failed = (err: unknown): void => {
    this.opts.logger.error("failed to answer a request", { error: String(err) });
    this.settled();
  };

  private settled(): void {
    this.inFlightCount--;
    this.updateFlow();
    if (this.inFlightCount === 0) for (const l of this.idleListeners.splice(0)) l();
  }

  private rejectOversized(err: LineTooLongError): void {
    this.socket.removeAllListeners("data");
    this.socket.pause();
    const reply = JSON.stringify(errorResponse(null, invalidRequest(err.message).toObject()));
    // Requests read before the oversized line still get their replies, then the refusal, then close.
    void this.whenIdle().then(() => {
      if (this.closed) return;
      this.flushOut();
      this.socket.end(reply + "\n", () => this.socket.destroy());
    });
  }

  private write(text: string): void {
    if (this.closed || this.socket.writableEnded) return;
    this.outText = this.outText === "" ? text + "\n" : this.outText + text + "\n";
    // A turn that writes a lot (a large batch, a burst of big notifications) goes out in pieces of
    // about FLUSH_AT: already few syscalls per byte, and one string never grows without bound.
    if (this.outText.length >= FLUSH_AT) {
      this.flushOut();
      return;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(this.flushQueuedOut);
    }
  }

  private readonly flushQueuedOut = (): void => {
    this.flushQueued = false;
    this.flushOut();
  };

  /** Hands what this turn wrote to the socket in one write; a full socket pauses reading. */
  private readonly flushOut = (): void => {
    const text = this.outText;
    if (text === "") return;
    this.outText = "";
    if (this.closed || this.socket.writableEnded) return;
    if (!this.socket.write(text)) {
      this.writeBlocked = true;
      this.updateFlow();
    }
  };

  private updateFlow(): void {
    if (this.closed) return;
    const shouldPause = this.writeBlocked || this.inFlightCount >= this.opts.maxInFlight;
    if (shouldPause && !this.socket.isPaused()) this.socket.pause();
    else if (!shouldPause && this.socket.isPaused() && this.socket.listenerCount("data") > 0) this.socket.resume();
  }

  private onClose(): void {
    this.closed = true;
    for (const l of this.closeListeners.splice(0)) l();
  }
}
