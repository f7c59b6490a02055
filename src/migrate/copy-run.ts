/**
 * The offline side of `agentstate migrate copy`: the one place where a CLI opens backends itself
 * (docs/migration.md explains why). A jsonl backend is refused while a daemon holds its lock; for
 * the other backends the operator stops the daemons first.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Backend, BackendName } from "../backends/contract.js";
import { createBackend } from "../backends/index.js";
import { BACKENDS, type ResolvedConfig } from "../config/config.js";
import type { CopyDomain } from "./checksum.js";
import { TargetNotEmptyError, copyBackend, isEmpty, type CopyOptions, type DomainResult } from "./copy.js";

export interface BackendSpec {
  name: BackendName;
  dataDir: string;
  url?: string;
  /** postgres: the schema (`?schema=` on the URL, else the configured one). */
  pgSchema?: string;
  /** redis: the key prefix (`?prefix=` on the URL, else the configured one). */
  redisPrefix?: string;
}

const PG_SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Takes `param` out of a URL's query string, so each side of a copy can name its own postgres
 * schema or redis prefix (`postgres://h/db?schema=old`, `redis://h:6379/0?prefix=app:`). The URL is
 * rewritten only when the parameter is there; the driver never sees it.
 */
function takeParam(spec: string, param: string): { url: string; value?: string } {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new Error(`not a valid URL: ${JSON.stringify(spec.replace(/\/\/[^@/]*@/, "//***@"))}`);
  }
  if (!u.searchParams.has(param)) return { url: spec };
  const value = u.searchParams.get(param) ?? "";
  u.searchParams.delete(param);
  return { url: u.toString(), value };
}

/**
 * `jsonl:/var/lib/agentstate`, `sqlite:/dir`, `memory`, `postgres://…[?schema=NAME]`,
 * `redis://…[?prefix=P]`, or a bare name (then the configured data directory, URL, schema, prefix).
 */
export function parseBackendSpec(spec: string, config: ResolvedConfig): BackendSpec {
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const { url, value } = takeParam(spec, "schema");
    const pgSchema = value ?? config.pgSchema;
    if (!PG_SCHEMA.test(pgSchema)) throw new Error(`postgres schema ${JSON.stringify(pgSchema)} must be a plain identifier`);
    return { name: "postgres", dataDir: config.dataDir, url, pgSchema };
  }
  if (/^rediss?:\/\//.test(spec)) {
    const { url, value } = takeParam(spec, "prefix");
    if (value === "") throw new Error("?prefix= must not be empty");
    return { name: "redis", dataDir: config.dataDir, url, redisPrefix: value ?? config.redisPrefix };
  }
  const colon = spec.indexOf(":");
  const name = (colon < 0 ? spec : spec.slice(0, colon)) as BackendName;
  if (!BACKENDS.includes(name)) throw new Error(`unknown backend ${JSON.stringify(name)} (one of ${BACKENDS.join(", ")})`);
  if (name === "postgres" || name === "redis") {
    if (colon >= 0) throw new Error(`${name} is named by its URL (${name}://…), or bare for the configured one`);
    return { name, dataDir: config.dataDir, url: config.url, ...(name === "postgres" ? { pgSchema: config.pgSchema } : { redisPrefix: config.redisPrefix }) };
  }
  return { name, dataDir: colon < 0 ? config.dataDir : resolve(spec.slice(colon + 1)), url: config.url };
}

export const describeSpec = (s: BackendSpec): string => {
  if (s.name === "postgres" || s.name === "redis") {
    const where = s.url ? s.url.replace(/\/\/[^@/]*@/, "//***@") : "no URL";
    return s.name === "postgres" ? `postgres (${where}, schema ${s.pgSchema})` : `redis (${where}, prefix ${s.redisPrefix})`;
  }
  return s.name === "memory" ? "memory" : `${s.name}:${s.dataDir}`;
};

export async function openBackend(spec: BackendSpec, config: ResolvedConfig): Promise<Backend> {
  // Files this command creates (a sqlite target) are private, as the daemon's are (0600).
  process.umask(0o077);
  const backend = await createBackend({
    ...spec,
    pgSchema: spec.pgSchema ?? config.pgSchema,
    pgPoolSize: config.pgPoolSize,
    redisPrefix: spec.redisPrefix ?? config.redisPrefix,
    origin: `migrate-copy-${process.pid}`,
    now: () => new Date(),
  });
  await backend.open();
  return backend;
}

/** Where an interrupted copy remembers the domains it finished: next to the data directory. */
export function checkpointPath(from: BackendSpec, to: BackendSpec, config: ResolvedConfig): string {
  const key = createHash("sha256").update(`${describeSpec(from)}\0${describeSpec(to)}`).digest("hex").slice(0, 16);
  return join(dirname(resolve(config.dataDir)), `agentstate-copy-${key}.json`);
}

async function readCheckpoint(path: string): Promise<Set<CopyDomain> | undefined> {
  try {
    const doc = JSON.parse(await readFile(path, "utf8")) as { finished?: CopyDomain[] };
    return new Set(doc.finished ?? []);
  } catch {
    return undefined;
  }
}

export interface RunCopyOptions extends Pick<CopyOptions, "merge" | "resume" | "onProgress"> {
  checkpoint: string;
}

export async function runCopy(source: Backend, target: Backend, opts: RunCopyOptions): Promise<DomainResult[]> {
  if (!opts.merge && !opts.resume && !(await isEmpty(target))) throw new TargetNotEmptyError();
  const previous = opts.resume ? await readCheckpoint(opts.checkpoint) : undefined;
  if (opts.resume && !previous) throw new Error(`nothing to resume: no checkpoint at ${opts.checkpoint} (use --merge to add to a non-empty target)`);
  const finished = new Set(previous ?? []);
  const save = async () => {
    await mkdir(dirname(opts.checkpoint), { recursive: true });
    const tmp = `${opts.checkpoint}.tmp`;
    await writeFile(tmp, JSON.stringify({ finished: [...finished] }) + "\n");
    await rename(tmp, opts.checkpoint);
  };
  await save(); // from here on an interrupted copy can be resumed
  const results = await copyBackend(source, target, {
    ...opts,
    finished: previous,
    onDomainDone: async (d) => {
      finished.add(d);
      await save();
    },
  });
  if (results.every((r) => r.verified)) await rm(opts.checkpoint, { force: true });
  return results;
}
