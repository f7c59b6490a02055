/**
 * One subscription: its topic filter, where it stands in the change log, and its life.
 *
 *   pending      registered with the fan-out, the subscribe reply not written yet: live changes
 *                that match are buffered (nothing may reach the peer before the reply)
 *   catching-up  reading the retained backlog after fromCursor; live changes still buffered
 *   live         each change from the fan-out is delivered as it passes
 *   ended        unsubscribed, lagged, or its connection closed
 *
 * `position` is the cursor up to which every matching change has been handed to the connection's
 * outbox. Each change is delivered only when it is after `position`, and position then moves to it:
 * backlog and buffer may overlap, but nothing is delivered twice, and since the buffer starts before
 * the backlog is read, nothing falls between them.
 */
import type { Change, Domain } from "../../domain/changes.js";
import { isAfter } from "../../domain/cursor.js";
import { parseTopic } from "../../domain/events.js";
import { invalidParams } from "../../domain/errors.js";
import type { Outbox, Owner } from "./outbox.js";

export type SubscriptionState = "pending" | "catching-up" | "live" | "ended";

/** A change on its way to subscribers, with its approximate notification size. */
export interface Delivery {
  change: Change;
  bytes: number;
}

export const deliveryOf = (change: Change): Delivery => ({ change, bytes: 64 + JSON.stringify(change).length });

export class TopicFilter {
  private readonly domains = new Set<Domain>();
  private readonly records = new Map<Domain, Set<string>>();

  constructor(topics: readonly string[]) {
    topics.forEach((topic, i) => {
      const t = parseTopic(topic);
      if (!t) throw invalidParams(`not a topic: ${JSON.stringify(topic)} (a domain, or <domain>:<id>)`, `/topics/${i}`);
      if (t.id === undefined) this.domains.add(t.domain);
      else {
        let ids = this.records.get(t.domain);
        if (!ids) this.records.set(t.domain, (ids = new Set()));
        ids.add(t.id);
      }
    });
  }

  matches(c: Change): boolean {
    return this.domains.has(c.domain) || this.records.get(c.domain)?.has(c.id) === true;
  }
}

/** What a subscription tells its owner (the hub) about its life. */
export interface SubscriptionHooks {
  ended(sub: Subscription, why: "lagged" | "unsubscribed" | "closed"): void;
}

export class Subscription implements Owner {
  state: SubscriptionState = "pending";
  dropped = false;
  delivered = 0;
  private buffer: Delivery[] = [];

  constructor(
    readonly id: string,
    readonly connectionId: number,
    private readonly filter: TopicFilter,
    private readonly outbox: Outbox,
    private readonly hooks: SubscriptionHooks,
    /** Live changes buffered before the subscription is live, beyond which it lags. */
    private readonly maxBuffered: number,
    public position: string,
  ) {}

  get ended(): boolean {
    return this.state === "ended";
  }

  /** A change from the fan-out (in cursor order). */
  offerLive(d: Delivery): void {
    if (this.state === "live") this.deliver(d);
    else if (this.state !== "ended" && this.filter.matches(d.change) && isAfter(d.change.cursor, this.position)) {
      this.buffer.push(d);
      if (this.buffer.length > this.maxBuffered) this.lag();
    }
  }

  /** Delivers `d` unless it is not after `position`; false when the subscription has ended. */
  deliver(d: Delivery): boolean {
    if (this.state === "ended") return false;
    const { change } = d;
    if (!isAfter(change.cursor, this.position)) return true;
    if (this.filter.matches(change)) {
      if (!this.outbox.offer(this, "events.event", { subscription: this.id, ...change }, d.bytes)) {
        this.lag();
        return false;
      }
      this.delivered++;
    }
    this.position = change.cursor;
    return true;
  }

  /** Hands over what was buffered while catching up, and goes live. */
  goLive(): void {
    if (this.state === "ended") return;
    const buffered = this.buffer;
    this.buffer = [];
    for (const d of buffered) if (!this.deliver(d)) return;
    this.state = "live";
  }

  notice(method: "events.reset", params: Record<string, unknown>): void {
    if (this.state !== "ended") this.outbox.force(this, method, { subscription: this.id, ...params });
  }

  /** The queue overflowed: end with events.lagged so the client can resume from `position`. */
  lag(): void {
    if (this.state === "ended") return;
    this.end("lagged");
    this.outbox.force(this, "events.lagged", { subscription: this.id, lastCursor: this.position });
  }

  /** Ends without a notice; with `drop`, notifications still queued for it are not sent. */
  end(why: "lagged" | "unsubscribed" | "closed", drop = false): void {
    if (this.state === "ended") return;
    this.state = "ended";
    this.dropped = drop;
    this.buffer = [];
    this.hooks.ended(this, why);
  }
}
