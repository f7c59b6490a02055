/**
 * The one fan-out point (SPEC §4). Every change reaches subscribers through backend.changes.watch —
 * local writes, other daemons' writes and hand edits alike — so each is delivered once, in cursor
 * order. Per connection, notifications go through one bounded Outbox.
 *
 * Subscribing never misses or repeats a change: the subscription joins the live feed first (and
 * buffers what passes), then reads the head or the backlog, then hands over the buffer, skipping
 * whatever it already delivered (Subscription.position). No notification precedes the subscribe
 * reply: delivery starts from setImmediate, which runs after the dispatcher has written the reply
 * (it writes it in the promise continuations of the handler's result, before the event loop moves
 * on). Inside a JSON-RPC batch the reply waits for the whole batch, so send events.subscribe on its
 * own (the client library does).
 */
import type { ChangeLog } from "../../backends/contract.js";
import type { Change } from "../../domain/changes.js";
import { compareCursors, isAfter } from "../../domain/cursor.js";
import { tooLarge } from "../../domain/errors.js";
import type { SubscribeParams, SubscribeResult } from "../../domain/events.js";
import type { CallContext } from "../../rpc/dispatcher.js";
import { DEFAULT_OUTBOX_LIMITS, Outbox, type OutboxLimits } from "./outbox.js";
import { RunPayloads } from "./enrich.js";
import { Subscription, TopicFilter, deliveryOf, type Delivery } from "./subscription.js";

export interface HubOptions {
  changes: ChangeLog;
  payloads: RunPayloads;
  limits?: Partial<HubLimits>;
  warn(message: string, meta: Record<string, unknown>): void;
}

export interface HubLimits extends OutboxLimits {
  /** Subscriptions one connection may hold. */
  maxSubscriptionsPerConnection: number;
  /** Backlog page size (changes.since limit). */
  backlogPage: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = { ...DEFAULT_OUTBOX_LIMITS, maxSubscriptionsPerConnection: 1000, backlogPage: 1000 };

interface Conn {
  outbox: Outbox;
  subs: Map<string, Subscription>;
}

export class EventHub {
  readonly limits: HubLimits;
  private readonly subs = new Map<string, Subscription>();
  private readonly conns = new Map<number, Conn>();
  private pipeline: Change[] = [];
  private pumping = false;
  private last?: string;
  private unwatch?: () => void;
  private nextId = 1;
  /** Counters for health. */
  lagged = 0;
  fannedOut = 0;

  constructor(private readonly opts: HubOptions) {
    this.limits = { ...DEFAULT_HUB_LIMITS, ...opts.limits };
  }

  start(): void {
    this.unwatch ??= this.opts.changes.watch((c) => this.onChange(c));
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    for (const sub of [...this.subs.values()]) sub.end("closed", true);
    for (const conn of this.conns.values()) conn.outbox.close();
    this.conns.clear();
    this.pipeline = [];
  }

  stats() {
    let queuedBytes = 0;
    let queuedEvents = 0;
    for (const c of this.conns.values()) {
      queuedBytes += c.outbox.bytes;
      queuedEvents += c.outbox.length;
    }
    return { subscriptions: this.subs.size, connections: this.conns.size, queuedEvents, queuedBytes, lagged: this.lagged, fannedOut: this.fannedOut };
  }

  async subscribe(params: SubscribeParams, ctx: CallContext): Promise<SubscribeResult> {
    const filter = new TopicFilter(params.topics);
    const conn = this.connection(ctx);
    if (conn.subs.size >= this.limits.maxSubscriptionsPerConnection) {
      throw tooLarge("subscriptions on one connection", conn.subs.size + 1, this.limits.maxSubscriptionsPerConnection);
    }
    const id = `sub-${this.nextId++}`;
    const sub = new Subscription(id, ctx.connectionId, filter, conn.outbox, this.hooks(conn), this.limits.maxEvents, "0");
    // Join the live feed before reading head or backlog: whatever commits from now on is buffered.
    this.subs.set(id, sub);
    conn.subs.set(id, sub);
    try {
      const head = (await this.opts.changes.head()) ?? "0";
      let reset: "pruned" | "unknown-cursor" | undefined;
      let first: Change[] | undefined;
      if (params.fromCursor === undefined) sub.position = head;
      else if (compareCursors(params.fromCursor, head) > 0) reset = "unknown-cursor";
      else {
        const page = await this.opts.changes.since(params.fromCursor, this.limits.backlogPage);
        if (page.reset) reset = "pruned";
        else {
          sub.position = params.fromCursor;
          first = page.changes;
        }
      }
      if (reset !== undefined) sub.position = head;
      const start = sub.position;
      setImmediate(() => void this.activate(sub, conn.outbox, first, reset));
      return { subscription: id, cursor: start };
    } catch (err) {
      sub.end("closed", true);
      throw err;
    }
  }

  unsubscribe(id: string, ctx: CallContext): boolean {
    const sub = this.conns.get(ctx.connectionId)?.subs.get(id);
    if (!sub) return false;
    sub.end("unsubscribed", true);
    return true;
  }

  /** After the reply: the reset notice, the backlog, the buffer, then live. */
  private async activate(sub: Subscription, outbox: Outbox, first: Change[] | undefined, reset: "pruned" | "unknown-cursor" | undefined): Promise<void> {
    if (sub.ended) return;
    sub.state = "catching-up";
    if (reset !== undefined) sub.notice("events.reset", { cursor: sub.position, reason: reset });
    try {
      let page = first;
      while (page !== undefined) {
        for (const c of page) {
          if (!sub.deliver(deliveryOf(await this.opts.payloads.enrich(c)))) return;
        }
        if (page.length < this.limits.backlogPage) break;
        await outbox.waitForRoom();
        if (sub.ended) return;
        const next = await this.opts.changes.since(sub.position, this.limits.backlogPage);
        if (next.reset) sub.notice("events.reset", { cursor: sub.position, reason: "pruned" });
        page = next.changes;
      }
    } catch (err) {
      // The backlog could not be read (backend down): end it as lagged so the client resumes later.
      this.opts.warn("events backlog read failed; subscription ended as lagged", { subscription: sub.id, error: String(err) });
      sub.lag();
      return;
    }
    sub.goLive();
  }

  private onChange(change: Change): void {
    this.pipeline.push(change);
    if (!this.pumping) void this.pump();
  }

  /** Enriches and dispatches changes one at a time, so order holds even when enrichment waits. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pipeline.length > 0) {
        const raw = this.pipeline.shift() as Change;
        if (!isAfter(raw.cursor, this.last)) continue; // a backend that repeats itself
        this.last = raw.cursor;
        this.opts.payloads.observe(raw);
        if (this.subs.size === 0) continue;
        const enriched = this.opts.payloads.enrich(raw);
        this.dispatch(deliveryOf(enriched instanceof Promise ? await enriched : enriched));
      }
    } finally {
      this.pumping = false;
    }
  }

  private dispatch(d: Delivery): void {
    this.fannedOut++;
    for (const sub of this.subs.values()) sub.offerLive(d);
  }

  private connection(ctx: CallContext): Conn {
    const known = this.conns.get(ctx.connectionId);
    if (known) return known;
    const conn: Conn = { outbox: new Outbox(ctx, this.limits), subs: new Map() };
    this.conns.set(ctx.connectionId, conn);
    ctx.onceClosed(() => {
      for (const sub of [...conn.subs.values()]) sub.end("closed", true);
      conn.outbox.close();
      this.conns.delete(ctx.connectionId);
    });
    return conn;
  }

  private hooks(conn: Conn) {
    return {
      ended: (sub: Subscription, why: "lagged" | "unsubscribed" | "closed") => {
        this.subs.delete(sub.id);
        conn.subs.delete(sub.id);
        if (why === "lagged") this.lagged++;
      },
    };
  }
}
