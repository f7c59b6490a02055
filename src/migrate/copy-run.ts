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
}

/**
 * `jsonl:/var/lib/agentstate`, `sqlite:/dir`, `memory`, `postgres://…`, `redis://…`, or a bare
 * name (then the configured data directory and URL).
 */
export function parseBackendSpec(spec: string, config: ResolvedConfig): BackendSpec {
  if (/^postgres(ql)?:\/\//.test(spec)) return { name: "postgres", dataDir: config.dataDir, url: spec };
  if (/^rediss?:\/\//.test(spec)) return { name: "redis", dataDir: config.dataDir, url: spec };
  const colon = spec.indexOf(":");
  const name = (colon < 0 ? spec : spec.slice(0, colon)) as BackendName;
  if (!BACKENDS.includes(name)) throw new Error(`unknown backend ${JSON.stringify(name)} (one of ${BACKENDS.join(", ")})`);
  return { name, dataDir: colon < 0 ? config.dataDir : resolve(spec.slice(colon + 1)), url: config.url };
}

export const describeSpec = (s: BackendSpec): string =>
  s.url && (s.name === "postgres" || s.name === "redis") ? `${s.name} (${s.url.replace(/\/\/[^@/]*@/, "//***@")})` : `${s.name}:${s.dataDir}`;

export async function openBackend(spec: BackendSpec, config: ResolvedConfig): Promise<Backend> {
  const backend = await createBackend({
    ...spec,
    pgSchema: config.pgSchema,
    pgPoolSize: config.pgPoolSize,
    redisPrefix: config.redisPrefix,
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
