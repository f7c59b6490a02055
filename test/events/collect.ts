/** Test helpers for events: a subscriber that records every message, and waiting until a condition holds. */
import type { Client, EventMessage, EventSubscription, SubscribeOptions } from "../../src/client/index.js";
import type { Change } from "../../src/domain/changes.js";

export interface Collector {
  messages: EventMessage[];
  sub: EventSubscription;
  changes(): Change[];
  /** Resolves when at least `n` changes arrived. */
  waitForChanges(n: number, ms?: number): Promise<Change[]>;
}

export async function collect(client: Client, topics: string[], opts: SubscribeOptions = {}): Promise<Collector> {
  const messages: EventMessage[] = [];
  const sub = await client.events.subscribe(topics, (m) => void messages.push(m), opts);
  const changes = () => messages.flatMap((m) => (m.type === "change" ? [m.change] : []));
  return {
    messages,
    sub,
    changes,
    waitForChanges: (n, ms = 5000) =>
      eventually(() => {
        const got = changes();
        if (got.length < n) throw new Error(`${got.length} of ${n} changes arrived`);
        return got;
      }, ms),
  };
}

/** Polls `check` until it returns without throwing, or rethrows its last error after `ms`. */
export async function eventually<T>(check: () => Promise<T> | T, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cursors strictly increasing, and no cursor twice. */
export function assertOrdered(changes: Change[]): void {
  for (let i = 1; i < changes.length; i++) {
    if (!(Number(changes[i].cursor) > Number(changes[i - 1].cursor))) {
      throw new Error(`out of order or duplicate at ${i}: ${changes[i - 1].cursor} then ${changes[i].cursor}`);
    }
  }
}
