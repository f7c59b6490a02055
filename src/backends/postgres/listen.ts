/**
 * The dedicated LISTEN connection (SPEC §6): wakes the change-log watcher when any process commits
 * a change to this schema, so other daemons' writes arrive without waiting for the next poll. It
 * reconnects by itself with backoff; every (re)connect also wakes the watcher, since NOTIFYs sent
 * while it was away are lost. Polling stays on as the fallback, so a dead LISTEN connection only
 * costs latency, never changes.
 */
import pg from "pg";
import type { BackendLog } from "../contract.js";
import { CHANGES_CHANNEL } from "./db.js";

export interface ListenerOptions {
  url: string;
  schema: string;
  connectTimeoutMs: number;
  /** Called for each NOTIFY on this schema and after each (re)connect. */
  onWake: () => void;
  log?: BackendLog;
}

const MIN_BACKOFF_MS = 100;
/** At most this long after the server returns before LISTEN is back (R2: recovery within 2 s). */
const MAX_BACKOFF_MS = 1000;

export class ChangeListener {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private connecting?: Promise<void>;
  private stopped = true;
  private backoff = MIN_BACKOFF_MS;
  private wasConnected = false;
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
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: this.opts.connectTimeoutMs });
    client.on("error", () => this.lost(client)); // 'end' follows on a dead socket; either one reconnects
    client.on("end", () => this.lost(client));
    client.on("notification", (n) => {
      if (n.channel === CHANGES_CHANNEL && n.payload === this.opts.schema) this.opts.onWake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch {
      client.removeAllListeners("end");
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
      this.opts.log?.info("postgres LISTEN connection restored");
    }
    this.wasConnected = true;
    this.opts.onWake();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.connected = false;
    client.removeAllListeners("end");
    void client.end().catch(() => undefined);
    this.opts.log?.warn("postgres LISTEN connection lost; polling until it is back");
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
