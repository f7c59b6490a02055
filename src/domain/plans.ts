/** Plan-mode plans (SPEC §3.4): Markdown bodies with a review status. */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, Limit, Nullable, Page, Params, Timestamp, Version } from "./schema.js";

export const PLAN_STATUSES = ["draft", "pending", "approved", "rejected"] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
export const PlanStatus = Type.Union(PLAN_STATUSES.map((s) => Type.Literal(s)));

export const Slug = Type.String({
  pattern: "^[a-z0-9]+(-[a-z0-9]+)*$",
  maxLength: 100,
  description: "lowercase ASCII letters and digits in dash-separated words",
});

export const Plan = Type.Object({
  id: Id,
  title: Type.String(),
  slug: Slug,
  body: Type.String({ description: "Markdown, stored and returned unchanged" }),
  status: PlanStatus,
  sessionId: Type.Optional(Id),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Version,
  uri: Type.String({ description: "agentstate://plans/<id>, the id percent-encoded" }),
});
export type Plan = Static<typeof Plan>;

/** What lists return: a plan without its body (bodies can be large; get one plan to read it). */
export const PlanSummary = Type.Omit(Plan, ["body"]);
export type PlanSummary = Static<typeof PlanSummary>;

export const PlanSave = Params({
  id: Type.Optional(Id),
  expectedVersion: Type.Optional(Version),
  title: Type.Optional(Type.String({ minLength: 1, description: "required when the plan is created" })),
  body: Type.Optional(Type.String()),
  status: Type.Optional(PlanStatus),
  slug: Type.Optional(Slug),
  sessionId: Type.Optional(Nullable(Id)),
});
export type PlanSave = Static<typeof PlanSave>;

export const ListPlansParams = Params({
  sessionId: Type.Optional(Id),
  status: Type.Optional(PlanStatus),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type ListPlansParams = Static<typeof ListPlansParams>;

export const PLAN_URI_PREFIX = "agentstate://plans/";

/** The plan's URI. The id is percent-encoded so that every id gives a valid, unambiguous URI. */
export const planUri = (id: string): string => PLAN_URI_PREFIX + encodeURIComponent(id);

/** The id named by a plan URI (percent-encoded or not), or undefined when it is not a plan URI. */
export function planIdFromUri(uri: string): string | undefined {
  if (!uri.startsWith(PLAN_URI_PREFIX)) return undefined;
  const rest = uri.slice(PLAN_URI_PREFIX.length);
  if (rest.length === 0) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}

const SLUG_MAX = 80;

/** A URL- and file-name-safe slug from a title: "Fix the Ünïcode bug!" → "fix-the-unicode-bug". */
export function slugify(title: string): string {
  const words = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const slug = words.slice(0, SLUG_MAX).replace(/-+$/, "");
  return slug.length > 0 ? slug : "plan";
}

export const plansMethods = table(
  method({
    name: "plans.save",
    summary:
      "Create a plan, or change the given fields of an existing one (absent fields are kept). New plans need a title; " +
      "status defaults to draft and slug to one derived from the title, kept stable afterwards unless given.",
    params: PlanSave,
    result: Plan,
    errors: ["CONFLICT", "TOO_LARGE", "INVALID_PARAMS"],
  }),
  method({
    name: "plans.get",
    summary: "Get one plan by id or by uri (exactly one of them).",
    params: Params({ id: Type.Optional(Id), uri: Type.Optional(Type.String({ description: "agentstate://plans/<id>" })) }),
    result: Plan,
    errors: ["NOT_FOUND", "INVALID_PARAMS"],
  }),
  method({
    name: "plans.list",
    summary: "Plans without bodies, newest createdAt first; filter by sessionId and status.",
    params: ListPlansParams,
    result: Page(PlanSummary),
  }),
  method({
    name: "plans.delete",
    summary: "Delete a plan.",
    params: Params({ id: Id, expectedVersion: Type.Optional(Version) }),
    result: Type.Object({ deleted: Type.Literal(true) }),
    errors: ["NOT_FOUND", "CONFLICT"],
  }),
);
