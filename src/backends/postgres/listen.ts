/**
 * The dedicated LISTEN connection (SPEC §6): wakes the change-log watcher when any process sequences
 * changes into this schema, so other daemons' writes arrive without waiting for the next poll. It
 * reconnects by itself with backoff; every (re)connect also wakes the watcher, since NOTIFYs sent
 * while it was away are lost. Polling stays on as the fallback, so a dead LISTEN connection only
 * costs latency, never changes.
 *
 * A silent network (packets dropped, no reset) never ends a TCP connection that only listens, so it
 * sends a heartbeat (`SELECT 1`) every HEARTBEAT_MS; no answer within the reply timeout means the
 * socket is dead: it is destroyed and a new connection made. Loss is logged as a warning, recovery
 * as info.
 */
import pg from "pg";
import type { BackendLog } from "../contract.js";
import { CHANGES_CHANNEL } from "./dialect.js";
import { queryWithin } from "./query.js";

export interface ListenerOptions {
  /** The daemon's session settings (db.ts clientConfig: timeouts, keepalive, schema). */
  config: () => pg.ClientConfig;
  schema: string;
  /** Called for each NOTIFY on this schema and after each (re)connect. */
  onWake: () => void;
  log?: BackendLog;
  heartbeatMs?: number;
  /** How long a heartbeat waits for its answer. */
  replyMs?: number;
}

const MIN_BACKOFF_MS = 100;
/** At most this long between attempts, so LISTEN is back within ~1.5 s of the server (R2, R9: 2 s). */
const MAX_BACKOFF_MS = 500;
const HEARTBEAT_MS = 1000;
const HEARTBEAT_REPLY_MS = 1500;

export class ChangeListener {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private connecting?: Promise<void>;
  private stopped = true;
  private backoff = MIN_BACKOFF_MS;
  private wasConnected = false;
  private lostAt?: number;
  /** For health and tests. */
  connected = false;
  reconnects = 0;

  constructor(private readonly opts: ListenerOptions) {}

  /** Tries once and resolves either way; on failure it keeps trying in the background. */
  async start(): Promise<void> {
    if (!this.stopped) return this.connecting;
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.attempt().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async attempt(): Promise<void> {
    // Session timeouts do not apply to LISTEN's idle session, but keepalive and connect timeout do.
    const client = new pg.Client(this.opts.config());
    client.on("error", () => this.lost(client, "connection error")); // 'end' follows on a dead socket; either one reconnects
    client.on("end", () => this.lost(client, "connection ended"));
    client.on("notification", (n) => {
      if (n.channel === CHANGES_CHANNEL && n.payload === this.opts.schema) this.opts.onWake();
    });
    try {
      await client.connect();
      await queryWithin(client, `LISTEN ${CHANGES_CHANNEL}`, undefined, this.opts.replyMs ?? HEARTBEAT_REPLY_MS);
    } catch {
      client.removeAllListeners("end");
      client.removeAllListeners("error");
      client.on("error", () => undefined);
      await client.end().catch(() => undefined);
      this.retry();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.connected = true;
    this.backoff = MIN_BACKOFF_MS;
    if (this.wasConnected) {
      this.reconnects++;
      const downMs = this.lostAt === undefined ? undefined : Math.round(performance.now() - this.lostAt);
      this.opts.log?.info("postgres LISTEN connection restored", { downMs });
    }
    this.wasConnected = true;
    this.lostAt = undefined;
    this.startHeartbeat(client);
    this.opts.onWake();
  }

  private startHeartbeat(client: pg.Client): void {
    clearInterval(this.heartbeat);
    let inFlight = false;
    this.heartbeat = setInterval(() => {
      if (inFlight || this.client !== client) return;
      inFlight = true;
      // queryWithin destroys the socket when no answer comes; 'error'/'end' then reconnect.
      queryWithin(client, "SELECT 1", undefined, this.opts.replyMs ?? HEARTBEAT_REPLY_MS)
        .catch(() => this.lost(client, "no answer to the heartbeat"))
        .finally(() => {
          inFlight = false;
        });
    }, this.opts.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client, why: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.connected = false;
    this.lostAt = performance.now();
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    client.removeAllListeners("end");
    client.removeAllListeners("error");
    client.on("error", () => undefined);
    void client.end().catch(() => undefined);
    this.opts.log?.warn("postgres LISTEN connection lost; polling until it is back", { reason: why });
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) void this.connect();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }
}
