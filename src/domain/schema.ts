/**
 * Schema building blocks shared by every domain. TypeBox gives, from one definition, the JSON
 * Schema (for validation and rpc.discover) and the static TypeScript type (for the client).
 */
import { FormatRegistry, Type, type TProperties, type TSchema } from "@sinclair/typebox";

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Ids: 1–256 UTF-8 bytes, no control characters. They are data, never paths. */
/** A lone surrogate has no UTF-8 form (and would silently become U+FFFD in Redis keys and Postgres). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** At most `maxBytes` UTF-8 bytes, no control characters, no lone surrogates (the empty string passes). */
export const isCleanString = (v: string, maxBytes: number): boolean =>
  Buffer.byteLength(v, "utf8") <= maxBytes && !CONTROL.test(v) && !LONE_SURROGATE.test(v);

export const isValidId = (v: string): boolean => v.length > 0 && isCleanString(v, 256);

FormatRegistry.Set("agentstate-id", isValidId);
FormatRegistry.Set("date-time", (v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v));

export const Id = Type.String({
  format: "agentstate-id",
  minLength: 1,
  maxLength: 256,
  description: "1–256 UTF-8 bytes, no control characters, no lone surrogates",
});
export const Timestamp = Type.String({ format: "date-time", description: "ISO 8601 UTC with milliseconds" });
export const Json = Type.Unknown({ description: "free-form JSON, stored and returned unchanged" });
export const JsonObject = Type.Record(Type.String(), Type.Unknown(), { description: "free-form JSON object" });
export const Version = Type.Integer({ minimum: 1 });
export const Limit = Type.Integer({ minimum: 1, maximum: 1000, description: "page size (default 100)" });
export const Cursor = Type.String({ description: "opaque page cursor from a previous nextCursor" });

/** Method params are closed objects: an unknown field is a mistake worth reporting. */
export const Params = <T extends TProperties>(props: T) => Type.Object(props, { additionalProperties: false });

/** `{ items, nextCursor }` for keyset pagination. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
