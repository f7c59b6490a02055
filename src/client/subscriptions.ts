/**
 * `client.events.subscribe(topics, handler, { fromCursor })` (SPEC §9): change events with
 * automatic resumption. The client remembers the cursor of the last event it handed to `handler`;
 * when the connection drops it reconnects by itself and subscribes again from that cursor, and
 * after events.lagged it does the same at once, so the handler sees every change exactly once, in
 * cursor order. What it cannot hide is surfaced: `reset` (changes were pruned before they could
 * be delivered: reload what you hold) and `lagged` (informational: the daemon's queue for this
 * process overflowed; the subscription has already been resumed unless resumeOnLag is false).
 */
import type { Change } from "../domain/changes.js";
import { compareCursors } from "../domain/cursor.js";
import type { LaggedNotification, ResetNotification, SubscribeResult } from "../domain/events.js";
import type { Connection } from "./connection.js";
import { RpcCallError } from "./errors.js";

export type EventMessage =
  /** One change; `change.cursor` is where a later subscription would resume. */
  | { type: "change"; change: Change }
  /** Changes after the resume point were pruned (or the cursor is unknown): reload, then carry on; events continue after `cursor`. */
  | { type: "reset"; cursor: string; reason: ResetNotification["reason"] }
  /** The daemon ended the subscription because this process fell behind; `resumed` tells whether it was subscribed again from lastCursor. */
  | { type: "lagged"; lastCursor: string; resumed: boolean };

export type EventHandler = (message: EventMessage) => void | Promise<void>;

export interface SubscribeOptions {
  /** Start after this cursor: every retained change after it, then live ones. Default: from now. */
  fromCursor?: string;
  /** After events.lagged, subscribe again from the last cursor (default true). */
  resumeOnLag?: boolean;
  /** A handler that threw or rejected, or a resubscription the daemon refused (the subscription then ends). */
  onError?: (error: unknown) => void;
}

export interface EventSubscription {
  readonly topics: readonly string[];
  /** The cursor of the last change handled (or where the subscription started): a resume point. */
  readonly cursor: string | undefined;
  /** False once unsubscribed, or ended by an error the daemon gave on resubscription. */
  readonly active: boolean;
  unsubscribe(): Promise<void>;
}

/** Notifications for a subscription id not known yet are kept this long (the reply is being processed). */
const MAX_EARLY = 10_000;
const MAX_BACKOFF_MS = 1000;

class ClientSubscription implements EventSubscription {
  cursor: string | undefined;
  serverId?: string;
  active = true;
  private attaching?: Promise<void>;

  constructor(
    private readonly owner: EventSubscriptions,
    readonly topics: readonly string[],
    private readonly handler: EventHandler,
    private readonly opts: SubscribeOptions,
  ) {
    this.cursor = opts.fromCursor;
  }

  /** Subscribes on the current connection from `cursor`. Idempotent while one attempt runs. */
  attach(): Promise<void> {
    this.attaching ??= this.owner
      .callSubscribe(this.topics, this.cursor)
      .then((r) => {
        if (!this.active) {
          void this.owner.callUnsubscribe(r.subscription);
          return;
        }
        this.serverId = r.subscription;
        this.cursor = r.cursor;
        this.owner.attached(this);
      })
      .finally(() => {
        this.attaching = undefined;
      });
    return this.attaching;
  }

  detach(): void {
    this.serverId = undefined;
  }

  handle(method: string, params: Record<string, unknown>): void {
    switch (method) {
      case "events.event": {
        const { subscription: _, ...change } = params as Change & { subscription: string };
        if (this.cursor !== undefined && compareCursors(change.cursor, this.cursor) <= 0) return;
        this.cursor = change.cursor;
        this.emit({ type: "change", change });
        return;
      }
      case "events.reset": {
        const p = params as ResetNotification;
        this.cursor = p.cursor;
        this.emit({ type: "reset", cursor: p.cursor, reason: p.reason });
        return;
      }
      case "events.lagged": {
        const p = params as LaggedNotification;
        this.owner.detached(this);
        const resume = this.opts.resumeOnLag !== false;
        if (this.cursor === undefined || compareCursors(p.lastCursor, this.cursor) > 0) this.cursor = p.lastCursor;
        this.emit({ type: "lagged", lastCursor: p.lastCursor, resumed: resume });
        if (resume) this.owner.resume(this);
        else this.active = false;
      }
    }
  }

  fail(err: unknown): void {
    this.active = false;
    this.owner.forget(this);
    this.opts.onError?.(err);
  }

  private emit(message: EventMessage): void {
    try {
      const r = this.handler(message);
      if (r instanceof Promise) r.catch((err: unknown) => this.opts.onError?.(err));
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  async unsubscribe(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    const id = this.serverId;
    this.owner.forget(this);
    if (id !== undefined) await this.owner.callUnsubscribe(id);
  }
}

/** Every subscription of one client, over its one connection. */
export class EventSubscriptions {
  private readonly all = new Set<ClientSubscription>();
  private readonly byId = new Map<string, ClientSubscription>();
  private early: Array<[string, Record<string, unknown>]> = [];
  private subscribing = 0;
  private reconnecting?: Promise<void>;
  private closed = false;

  constructor(private readonly connection: Connection) {
    connection.on("notification", (method, params) => this.onNotification(method, params));
    connection.on("disconnected", () => this.onDisconnected());
    connection.on("reconnected", () => this.onReconnected());
    connection.on("closed", () => {
      this.closed = true;
    });
  }

  async subscribe(topics: readonly string[], handler: EventHandler, opts: SubscribeOptions = {}): Promise<EventSubscription> {
    const sub = new ClientSubscription(this, [...topics], handler, opts);
    this.all.add(sub);
    try {
      await sub.attach();
    } catch (err) {
      this.all.delete(sub);
      throw err;
    }
    return sub;
  }

  /** @internal */
  async callSubscribe(topics: readonly string[], fromCursor: string | undefined): Promise<SubscribeResult> {
    this.subscribing++;
    try {
      return (await this.connection.call("events.subscribe", fromCursor === undefined ? { topics } : { topics, fromCursor })) as SubscribeResult;
    } finally {
      this.subscribing--;
    }
  }

  /** @internal */
  async callUnsubscribe(id: string): Promise<void> {
    try {
      await this.connection.call("events.unsubscribe", { subscription: id });
    } catch {
      // A lost connection ended it anyway.
    }
  }

  /** @internal A subscribe reply arrived: notifications that raced ahead of its continuation go first. */
  attached(sub: ClientSubscription): void {
    if (sub.serverId === undefined) return;
    this.byId.set(sub.serverId, sub);
    const early = this.early;
    this.early = [];
    for (const [method, params] of early) {
      if (params.subscription === sub.serverId) sub.handle(method, params);
      else if (this.subscribing > 0) this.early.push([method, params]);
    }
  }

  /** @internal */
  detached(sub: ClientSubscription): void {
    if (sub.serverId !== undefined) this.byId.delete(sub.serverId);
    sub.detach();
  }

  /** @internal */
  forget(sub: ClientSubscription): void {
    this.detached(sub);
    this.all.delete(sub);
  }

  /** @internal Subscribe again (after lagged) with retries while the connection is down. */
  resume(sub: ClientSubscription): void {
    sub.attach().catch((err: unknown) => {
      if (err instanceof RpcCallError) sub.fail(err);
      // else: the connection dropped; onReconnected attaches it again
    });
  }

  private onNotification(method: string, params: Record<string, unknown>): void {
    if (!method.startsWith("events.")) return;
    const id = params.subscription;
    if (typeof id !== "string") return;
    const sub = this.byId.get(id);
    if (sub) sub.handle(method, params);
    else if (this.subscribing > 0 && this.early.length < MAX_EARLY) this.early.push([method, params]);
  }

  private onDisconnected(): void {
    for (const sub of this.all) this.detached(sub);
    this.early = [];
    if (this.all.size === 0 || this.closed) return;
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
  }

  /** Keeps trying to connect until it works, the client closes, or nobody is subscribed any more. */
  private async reconnect(): Promise<void> {
    let delay = 50;
    while (!this.closed && this.all.size > 0) {
      try {
        await this.connection.open();
        return; // "reconnected" resubscribes
      } catch {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private onReconnected(): void {
    for (const sub of this.all) if (sub.serverId === undefined) this.resume(sub);
  }
}
