/**
 * The Markdown file of one plan, which a person may edit:
 *
 *     ---
 *     id: 01J0PLAN
 *     slug: fix-the-bug
 *     status: draft
 *     sessionId: s1
 *     createdAt: 2026-03-01T12:00:00.000Z
 *     updatedAt: 2026-03-01T12:00:00.000Z
 *     version: 1
 *     ---
 *     # Fix the bug
 *
 *     <body, byte for byte>
 *
 * The body is everything after the heading line and one blank line, to the end of the file, so CRLF
 * and a missing final newline survive. A title that holds a line break cannot be a heading: it is
 * also written as `title:` in the front matter (the heading then shows it flattened), and the front
 * matter wins unless a person changed the heading.
 */
import { parse, stringify } from "yaml";
import { PLAN_STATUSES, planUri, type Plan, type PlanStatus } from "../../domain/plans.js";
import type { PlanEdit } from "../contract.js";
import { idForFile } from "./hand-edited.js";

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const LINE_BREAK = /\r\n|\r|\n/g;

export { hashText } from "./hand-edited.js";

export function serializePlan(p: Plan): string {
  const front: Record<string, unknown> = { id: p.id };
  const flat = p.title.replace(LINE_BREAK, " ");
  if (flat !== p.title) front.title = p.title;
  Object.assign(front, { slug: p.slug, status: p.status });
  if (p.sessionId !== undefined) front.sessionId = p.sessionId;
  Object.assign(front, { createdAt: p.createdAt, updatedAt: p.updatedAt, version: p.version });
  return `---\n${stringify(front, { lineWidth: 0 })}---\n# ${flat}\n\n${p.body}`;
}

/** What a file says (PlanEdit, which the core turns into a record), plus its id and updatedAt when present. */
export interface ParsedPlan extends PlanEdit {
  id?: string;
  updatedAt?: string;
}

export class PlanFileError extends Error {}

/** Splits `text` at the first line break: [line without its break, rest after it]. */
function splitLine(text: string): [string, string] {
  const nl = text.indexOf("\n");
  if (nl === -1) return [text, ""];
  const line = text.slice(0, nl);
  return [line.endsWith("\r") ? line.slice(0, -1) : line, text.slice(nl + 1)];
}

const optionalString = (v: unknown, key: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") throw new PlanFileError(`front matter "${key}" must be a non-empty string`);
  return v;
};

function timestamp(v: unknown, key: string): string | undefined {
  const s = v instanceof Date ? v.toISOString() : optionalString(v, key);
  if (s === undefined) return undefined;
  const t = new Date(s);
  if (Number.isNaN(t.getTime())) throw new PlanFileError(`front matter "${key}" is not a date: ${JSON.stringify(s)}`);
  return t.toISOString();
}

/** Parses a plan file; throws PlanFileError saying what is wrong. */
export function parsePlanFile(text: string): ParsedPlan {
  const [open, afterOpen] = splitLine(text);
  if (open !== "---") throw new PlanFileError('the file does not start with a "---" front matter line');
  let yamlText = "";
  let rest = afterOpen;
  for (;;) {
    if (rest === "") throw new PlanFileError('the front matter has no closing "---" line');
    const [line, next] = splitLine(rest);
    const raw = rest.slice(0, rest.length - next.length);
    rest = next;
    if (line === "---") break;
    yamlText += raw;
  }
  let front: unknown;
  try {
    front = parse(yamlText) ?? {};
  } catch (err) {
    throw new PlanFileError(`the front matter is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (typeof front !== "object" || front === null || Array.isArray(front)) throw new PlanFileError("the front matter is not a mapping");
  const f = front as Record<string, unknown>;
  const [heading, afterHeading] = splitLine(rest);
  if (!heading.startsWith("# ") || heading.length === 2) throw new PlanFileError('the first line after the front matter must be "# <title>"');
  const shown = heading.slice(2);
  const fmTitle = optionalString(f.title, "title");
  const title = fmTitle !== undefined && fmTitle.replace(LINE_BREAK, " ") === shown ? fmTitle : shown;
  const body = afterHeading.startsWith("\n") ? afterHeading.slice(1) : afterHeading.startsWith("\r\n") ? afterHeading.slice(2) : afterHeading;
  const status = optionalString(f.status, "status");
  if (status !== undefined && !(PLAN_STATUSES as readonly string[]).includes(status)) {
    throw new PlanFileError(`front matter "status" must be one of ${PLAN_STATUSES.join(", ")}, not ${JSON.stringify(status)}`);
  }
  const slug = optionalString(f.slug, "slug");
  if (slug !== undefined && (!SLUG.test(slug) || slug.length > 100)) throw new PlanFileError(`front matter "slug" ${JSON.stringify(slug)} is not lowercase-words-with-dashes`);
  const version = f.version ?? undefined;
  if (version !== undefined && (typeof version !== "number" || !Number.isInteger(version) || version < 1)) {
    throw new PlanFileError('front matter "version" must be a positive integer');
  }
  return {
    id: optionalString(typeof f.id === "number" ? String(f.id) : f.id, "id"),
    title, body, slug,
    status: status as PlanStatus | undefined,
    sessionId: optionalString(f.sessionId, "sessionId") ?? null,
    createdAt: timestamp(f.createdAt, "createdAt"),
    updatedAt: timestamp(f.updatedAt, "updatedAt"),
    version,
  };
}

/** The plan a file describes as stored by the daemon (every field present), or undefined. */
export function completePlan(p: ParsedPlan, id: string): Plan | undefined {
  if (p.slug === undefined || p.status === undefined || p.createdAt === undefined || p.updatedAt === undefined || p.version === undefined) return undefined;
  const plan: Plan = { id, title: p.title, slug: p.slug, body: p.body, status: p.status, createdAt: p.createdAt, updatedAt: p.updatedAt, version: p.version, uri: planUri(id) };
  if (p.sessionId !== null) plan.sessionId = p.sessionId;
  return plan;
}

/** The id of the plan in file `name`: the front matter's, or the one the name encodes. Throws PlanFileError. */
export function planIdFor(name: string, parsed: ParsedPlan): string {
  const id = idForFile(name, ".md", parsed.id);
  if (typeof id !== "string") throw new PlanFileError(id.error);
  return id;
}
