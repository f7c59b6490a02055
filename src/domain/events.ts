/**
 * Change events (SPEC §4): subscribe to domains or single records and receive the change log as
 * notifications, resumable from a cursor. The notification shapes are declared here too, so the
 * docs and the client are typed from the same definitions as the methods.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Change, DOMAINS, type Domain } from "./changes.js";
import { CURSOR_PATTERN } from "./cursor.js";
import { method, table } from "./method.js";
import { Params, isValidId } from "./schema.js";

/** Longest accepted topic: a domain name, a colon and a 256-byte id. */
const TOPIC_MAX = 300;
export const MAX_TOPICS = 100;

export const Topic = Type.String({
  pattern: `^(${DOMAINS.join("|")})(:.+)?$`,
  maxLength: TOPIC_MAX,
  description: "a domain (sessions, groups, jobs, runs, plans, history, changesets, ledger, checkpoints) or one record: <domain>:<id> (checkpoints:<threadId>)",
});
export type Topic = Static<typeof Topic>;

export const EventCursor = Type.String({ pattern: CURSOR_PATTERN, description: "a change cursor: decimal integer or <ms>-<seq>" });

export const SubscribeParams = Params({
  topics: Type.Array(Topic, { minItems: 1, maxItems: MAX_TOPICS, uniqueItems: true }),
  fromCursor: Type.Optional(EventCursor),
});
export type SubscribeParams = Static<typeof SubscribeParams>;

export const SubscribeResult = Type.Object({
  subscription: Type.String({ description: "names this subscription in every notification it receives" }),
  cursor: Type.String({
    description:
      "events that follow come after this cursor: fromCursor when it is retained, else the head of the change log (an empty log: \"0\")",
  }),
});
export type SubscribeResult = Static<typeof SubscribeResult>;

export const eventsMethods = table(
  method({
    name: "events.subscribe",
    summary:
      "Receive changes to the given topics as events.event notifications, after this reply; with fromCursor, every retained change after it first (events.reset when it is no longer retained).",
    params: SubscribeParams,
    result: SubscribeResult,
    errors: ["INVALID_PARAMS", "TOO_LARGE"],
  }),
  method({
    name: "events.unsubscribe",
    summary: "End a subscription of this connection; no event for it follows the reply. Unknown ids are not an error.",
    params: Params({ subscription: Type.String() }),
    result: Type.Object({ unsubscribed: Type.Boolean({ description: "false when it had already ended" }) }),
  }),
);

/** `events.event`: one change, in cursor order, never twice. */
export const EventNotification = Type.Composite([Type.Object({ subscription: Type.String() }), Change]);
export type EventNotification = Static<typeof EventNotification>;

/**
 * `events.reset`: fromCursor was older than retention (or unknown to this backend). Changes were
 * missed: reload what you hold, then carry on; events continue after `cursor`.
 */
export const ResetNotification = Type.Object({
  subscription: Type.String(),
  cursor: Type.String({ description: "the head when the reset was decided; events that follow come after it" }),
  reason: Type.Union([Type.Literal("pruned"), Type.Literal("unknown-cursor")]),
});
export type ResetNotification = Static<typeof ResetNotification>;

/** `events.lagged`: the connection's queue overflowed; the subscription has ended. Resubscribe with fromCursor = lastCursor. */
export const LaggedNotification = Type.Object({
  subscription: Type.String(),
  lastCursor: Type.String({ description: "the last change delivered to this subscription (or its start cursor)" }),
});
export type LaggedNotification = Static<typeof LaggedNotification>;

export const eventNotifications = {
  "events.event": EventNotification,
  "events.reset": ResetNotification,
  "events.lagged": LaggedNotification,
} as const;
export type EventNotificationName = keyof typeof eventNotifications;

/** A parsed topic: a whole domain, or one record of it. */
export interface ParsedTopic {
  domain: Domain;
  id?: string;
}

/** Undefined when the topic is not a domain or `<domain>:<valid id>`. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const colon = topic.indexOf(":");
  const domain = (colon < 0 ? topic : topic.slice(0, colon)) as Domain;
  if (!(DOMAINS as readonly string[]).includes(domain)) return undefined;
  if (colon < 0) return { domain };
  const id = topic.slice(colon + 1);
  return isValidId(id) ? { domain, id } : undefined;
}
