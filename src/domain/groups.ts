/** Session groups (SPEC §3.2): a named line of sessions, one current and the earlier ones in order. */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, JsonObject, Limit, Nullable, Page, Params, Timestamp, Version } from "./schema.js";

export const Group = Type.Object({
  id: Id,
  currentSessionId: Type.Optional(Id),
  history: Type.Array(Id, { description: "earlier session ids, oldest first" }),
  lastRolloverAt: Type.Optional(Timestamp),
  metadata: JsonObject,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Version,
});
export type Group = Static<typeof Group>;

export const GroupPut = Params({
  id: Type.Optional(Id),
  expectedVersion: Type.Optional(Version),
  currentSessionId: Type.Optional(Nullable(Id)),
  history: Type.Optional(Type.Array(Id)),
  lastRolloverAt: Type.Optional(Nullable(Timestamp)),
  metadata: Type.Optional(JsonObject),
});
export type GroupPut = Static<typeof GroupPut>;

export const GroupRollover = Params({
  id: Id,
  newSessionId: Id,
  expectedVersion: Type.Optional(Version),
  createGroup: Type.Optional(Type.Boolean({ description: "create the group if it does not exist" })),
});
export type GroupRollover = Static<typeof GroupRollover>;

export const ListGroupsParams = Params({ cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) });
export type ListGroupsParams = Static<typeof ListGroupsParams>;

export const groupsMethods = table(
  method({ name: "groups.get", summary: "Get one group.", params: Params({ id: Id }), result: Group, errors: ["NOT_FOUND"] }),
  method({
    name: "groups.put",
    summary:
      "Create a group, or change the given fields of an existing one (absent fields are kept, null clears). " +
      "expectedVersion makes it a guarded update (CONFLICT if the group is missing or at another version).",
    params: GroupPut,
    result: Group,
    errors: ["CONFLICT", "TOO_LARGE"],
  }),
  method({
    name: "groups.list",
    summary: "Groups in id order (by Unicode code point).",
    params: ListGroupsParams,
    result: Page(Group),
  }),
  method({
    name: "groups.delete",
    summary: "Delete a group. Its sessions are not touched.",
    params: Params({ id: Id, expectedVersion: Type.Optional(Version) }),
    result: Type.Object({ deleted: Type.Literal(true) }),
    errors: ["NOT_FOUND", "CONFLICT"],
  }),
  method({
    name: "groups.rollover",
    summary:
      "Atomically move the current session to the end of history and make newSessionId current. " +
      "Rolling over to the session that is already current changes nothing (safe to retry).",
    params: GroupRollover,
    result: Group,
    errors: ["NOT_FOUND", "CONFLICT"],
  }),
);
