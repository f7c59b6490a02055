/** Conversations (SPEC §3.1): sessions and their messages. */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, JsonObject, Limit, Nullable, Page, Params, Timestamp, Version } from "./schema.js";

export const TokenStats = Type.Object({
  inputTokens: Type.Integer({ minimum: 0 }),
  outputTokens: Type.Integer({ minimum: 0 }),
  requests: Type.Integer({ minimum: 0 }),
});
export type TokenStats = Static<typeof TokenStats>;

export const Session = Type.Object({
  id: Id,
  title: Type.Optional(Type.String()),
  groupId: Type.Optional(Id),
  model: Type.Optional(Type.String()),
  tags: Type.Array(Type.String()),
  aliases: Type.Optional(Type.Array(Id, { description: "other names that find this session (sessions.get { alias }); each belongs to one session" })),
  metadata: JsonObject,
  summary: Type.Optional(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Version,
  messageCount: Type.Integer({ minimum: 0, description: "visible messages" }),
  lastSeq: Type.Integer({ minimum: 0, description: "highest seq ever assigned; never reused" }),
  truncatedBeforeSeq: Type.Integer({ minimum: 1, description: "messages with a lower seq are hidden" }),
  tokenStats: TokenStats,
  costStats: Type.Optional(JsonObject),
});
export type Session = Static<typeof Session>;

/** What a caller sends: any JSON object with a string role; every other field is kept. */
export const MessageInput = Type.Intersect(
  [Type.Object({ role: Type.String({ minLength: 1 }) }), Type.Record(Type.String(), Type.Unknown())],
  { description: "any JSON object with a string role" },
);
export type MessageInput = Static<typeof MessageInput>;

/** What the store returns: the input plus the assigned seq and createdAt. */
export const Message = Type.Intersect([
  Type.Object({ role: Type.String(), seq: Type.Integer({ minimum: 1 }), createdAt: Timestamp }),
  Type.Record(Type.String(), Type.Unknown()),
]);
export type Message = Static<typeof Message>;

const SessionFields = {
  title: Type.Optional(Type.String()),
  groupId: Type.Optional(Id),
  model: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
  aliases: Type.Optional(Type.Array(Id, { maxItems: 100 })),
  metadata: Type.Optional(JsonObject),
};
export const SessionCreate = Params({ id: Type.Optional(Id), ...SessionFields });
export type SessionCreate = Static<typeof SessionCreate>;

export const SessionPatch = Params({
  id: Id,
  expectedVersion: Type.Optional(Version),
  title: Type.Optional(Nullable(Type.String())),
  groupId: Type.Optional(Nullable(Id)),
  model: Type.Optional(Nullable(Type.String())),
  tags: Type.Optional(Type.Array(Type.String())),
  aliases: Type.Optional(Type.Array(Id, { maxItems: 100, description: "replaces the aliases; [] removes them all" })),
  metadata: Type.Optional(JsonObject),
  summary: Type.Optional(Nullable(Type.String())),
  tokenStats: Type.Optional(TokenStats),
  costStats: Type.Optional(Nullable(JsonObject)),
});
export type SessionPatch = Static<typeof SessionPatch>;

export const AppendParams = Params({
  sessionId: Id,
  messages: Type.Array(MessageInput, { minItems: 1 }),
  createSession: Type.Optional(Type.Boolean({ description: "create the session if it does not exist" })),
  expectedLastSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  idempotencyKey: Type.Optional(Id),
});
export type AppendParams = Static<typeof AppendParams>;
export const AppendResult = Type.Object({ firstSeq: Type.Integer(), lastSeq: Type.Integer() });
export type AppendResult = Static<typeof AppendResult>;

export const ListMessagesParams = Params({
  sessionId: Id,
  afterSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "the last N messages" })),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
  includeHidden: Type.Optional(Type.Boolean()),
});
export type ListMessagesParams = Static<typeof ListMessagesParams>;

export const ListSessionsParams = Params({
  groupId: Type.Optional(Id),
  tag: Type.Optional(Type.String()),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type ListSessionsParams = Static<typeof ListSessionsParams>;

const ById = Params({ id: Id, expectedVersion: Type.Optional(Version) });

export const conversationMethods = table(
  method({ name: "sessions.create", summary: "Create a session (CONFLICT if the id exists).", params: SessionCreate, result: Session }),
  method({
    name: "sessions.get",
    summary: "Get one session, by id or by one of its aliases (give exactly one).",
    params: Params({ id: Type.Optional(Id), alias: Type.Optional(Id) }),
    result: Session,
  }),
  method({
    name: "sessions.list",
    summary: "Sessions, newest updatedAt first; filter by groupId or tag.",
    params: ListSessionsParams,
    result: Page(Session),
  }),
  method({
    name: "sessions.update",
    summary: "Change title, tags, metadata, model, groupId, summary, tokenStats or costStats; null clears an optional field.",
    params: SessionPatch,
    result: Session,
  }),
  method({
    name: "sessions.delete",
    summary: "Delete a session and all its messages.",
    params: ById,
    result: Type.Object({ deleted: Type.Literal(true) }),
  }),
  method({
    name: "messages.append",
    summary: "Append messages, all or nothing; expectedLastSeq guards against forks, idempotencyKey against retries.",
    params: AppendParams,
    result: AppendResult,
  }),
  method({
    name: "messages.list",
    summary: "Visible messages in seq order: after afterSeq/cursor, or the last `tail`; includeHidden adds truncated ones.",
    params: ListMessagesParams,
    result: Page(Message),
  }),
  method({
    name: "messages.pop",
    summary: "Remove and return the last visible message (null when there is none). Its seq is never reused.",
    params: Params({ sessionId: Id, expectedLastSeq: Type.Optional(Type.Integer({ minimum: 0 })) }),
    result: Type.Object({ message: Nullable(Message) }),
  }),
  method({
    name: "sessions.setSummary",
    summary: "Set the summary text.",
    params: Params({ id: Id, summary: Type.String(), expectedVersion: Type.Optional(Version) }),
    result: Session,
  }),
  method({
    name: "sessions.truncate",
    summary: "Hide all but the last keepLast visible messages (a metadata write).",
    params: Params({ id: Id, keepLast: Type.Integer({ minimum: 0 }), expectedVersion: Type.Optional(Version) }),
    result: Session,
  }),
  method({
    name: "sessions.replaceHistory",
    summary: "Hide the whole visible history and append the given messages in its place, atomically.",
    params: Params({ id: Id, messages: Type.Array(MessageInput), expectedVersion: Type.Optional(Version) }),
    result: Session,
  }),
  method({
    name: "sessions.compact",
    summary: "Physically drop hidden messages. Visible messages and seq numbering are untouched.",
    params: Params({ id: Id }),
    result: Type.Object({ removed: Type.Integer({ minimum: 0 }), session: Session }),
  }),
  method({
    name: "sessions.fork",
    summary: "A new session holding a copy of the visible history up to uptoSeq (default: all), renumbered from 1.",
    params: Params({
      id: Id,
      newId: Type.Optional(Id),
      uptoSeq: Type.Optional(Type.Integer({ minimum: 0 })),
      title: Type.Optional(Type.String()),
    }),
    result: Session,
  }),
);
