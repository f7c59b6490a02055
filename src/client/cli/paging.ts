/**
 * Every list pages (SPEC §2, §9): `--limit N` and `--cursor C` for one page, `--all` for every page
 * from there on. Human output ends with a line saying how to get more when more exist.
 */
import { intOption, UsageError, type CliContext, type OptionSpec } from "./context.js";

export const PAGE_OPTIONS: OptionSpec = { limit: { type: "string" }, cursor: { type: "string" }, all: { type: "boolean" } };

/** Largest page the protocol serves. */
export const MAX_PAGE = 1000;

export interface PageResult<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  cursor?: string;
  limit?: number;
}

/** Checked before connecting, so a bad --limit is a usage error that starts nothing. */
export function pageRequest(ctx: CliContext, defaultLimit?: number): PageRequest {
  const limit = intOption(ctx, "limit") ?? defaultLimit;
  if (limit !== undefined && (limit < 1 || limit > MAX_PAGE)) throw new UsageError(`--limit must be 1–${MAX_PAGE} (use --all for everything); got ${limit}`);
  const cursor = ctx.options.cursor;
  return { ...(typeof cursor === "string" ? { cursor } : {}), ...(limit !== undefined ? { limit } : {}) };
}

/** One page, or with --all every page from the cursor on (then nextCursor is null). */
export async function fetchPages<T>(ctx: CliContext, req: PageRequest, fetch: (req: PageRequest) => Promise<PageResult<T>>): Promise<PageResult<T>> {
  if (ctx.options.all !== true) return fetch(req);
  const items: T[] = [];
  let cursor = req.cursor;
  const limit = req.limit ?? MAX_PAGE;
  for (;;) {
    const page = await fetch({ ...(cursor !== undefined ? { cursor } : {}), limit });
    items.push(...page.items);
    if (!page.nextCursor) return { items, nextCursor: null };
    cursor = page.nextCursor;
  }
}
