/**
 * The bounded queue of notifications for one connection (SPEC §4, R6). Notifications go straight
 * to the socket while the peer keeps up (its unread bytes stay under `socketHighWater`); beyond
 * that they wait here, up to `maxEvents` and `maxBytes`. A notification that does not fit is
 * refused, and the subscription it was for ends with events.lagged: a peer that stops reading costs
 * the daemon at most these limits (plus one small lagged notice per subscription), never more.
 *
 * The socket's drain is not visible through CallContext, so a backed-up queue is retried on a
 * short timer; while the peer keeps up no timer runs.
 */

/** What the outbox needs of a connection: CallContext's notify and pendingWriteBytes. */
export interface Peer {
  notify(method: string, params: Record<string, unknown>): void;
  readonly pendingWriteBytes: number;
}

export interface OutboxLimits {
  /** Notifications held per connection beyond what the socket buffers. */
  maxEvents: number;
  /** Their approximate size in bytes. */
  maxBytes: number;
  /** Unread bytes in the socket above which notifications are held here instead. */
  socketHighWater: number;
  /** How often a backed-up queue tries the socket again. */
  retryMs: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxEvents: 10_000,
  maxBytes: 4 * 1024 * 1024,
  socketHighWater: 256 * 1024,
  retryMs: 5,
};

/** Who a queued notification belongs to: entries of a dropped owner are skipped, not sent. */
export interface Owner {
  readonly dropped: boolean;
}

interface Entry {
  method: string;
  params: Record<string, unknown>;
  bytes: number;
  owner: Owner;
}

export class Outbox {
  private queue: Entry[] = [];
  private head = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private roomWaiters: Array<() => void> = [];
  bytes = 0;

  constructor(
    private readonly peer: Peer,
    readonly limits: OutboxLimits,
  ) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  /** Queues or sends a notification; false (nothing queued) when it would exceed the limits. */
  offer(owner: Owner, method: string, params: Record<string, unknown>, bytes: number): boolean {
    if (this.closed) return true; // nobody to tell; the subscription ends with the connection
    if (this.length === 0 && this.peer.pendingWriteBytes < this.limits.socketHighWater) {
      this.peer.notify(method, params);
      return true;
    }
    if (this.length >= this.limits.maxEvents || this.bytes + bytes > this.limits.maxBytes) return false;
    this.push({ method, params, bytes, owner });
    return true;
  }

  /** Queues a notification whatever the limits (reset and lagged notices: at most one per subscription). */
  force(owner: Owner, method: string, params: Record<string, unknown>): void {
    if (this.closed) return;
    if (this.length === 0 && this.peer.pendingWriteBytes < this.limits.socketHighWater) {
      this.peer.notify(method, params);
      return;
    }
    this.push({ method, params, bytes: 256, owner });
  }

  /** True while the queue is under half its limits: a backlog reader may queue another page. */
  get hasRoom(): boolean {
    return this.length < this.limits.maxEvents / 2 && this.bytes < this.limits.maxBytes / 2;
  }

  /** Resolves when hasRoom, or when the connection closed. */
  waitForRoom(): Promise<void> {
    if (this.hasRoom || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private push(entry: Entry): void {
    this.queue.push(entry);
    this.bytes += entry.bytes;
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.limits.retryMs);
  }

  private flush(): void {
    if (this.closed) return;
    while (this.head < this.queue.length && this.peer.pendingWriteBytes < this.limits.socketHighWater) {
      const e = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as Entry;
      this.bytes -= e.bytes;
      if (!e.owner.dropped) this.peer.notify(e.method, e.params);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.hasRoom) for (const w of this.roomWaiters.splice(0)) w();
    if (this.length > 0) this.schedule();
  }
}
