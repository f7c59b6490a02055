/**
 * Configuration, resolved once: flags, then AGENTSTATE_* environment, then the config file, then
 * defaults. Daemon and CLI read the same settings, so AGENTSTATE_SOCKET points both at one daemon.
 * Everything else receives the ResolvedConfig.
 */
import { readFileSync } from "node:fs";
import type { BackendName } from "../backends/contract.js";
import { DEFAULT_LEASE_MS } from "../domain/jobs.js";
import { defaultConfigFile, defaultDataDir, defaultSocketPath } from "./paths.js";

export const BACKENDS: readonly BackendName[] = ["jsonl", "sqlite", "postgres", "redis", "memory"];
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ResolvedConfig {
  /** Unix socket path. */
  socket: string;
  /** Group allowed to connect (socket 0660, directory 0750); unset: owner only (0600/0700). */
  socketGroup?: string;
  backend: BackendName;
  /** jsonl directory, sqlite file location. */
  dataDir: string;
  /** postgres:// or redis:// URL (a secret: printed redacted). */
  url?: string;
  /** Postgres schema holding every table. */
  pgSchema: string;
  /** Postgres connections the daemon may hold at once. */
  pgPoolSize: number;
  /** Prefix of every Redis key. */
  redisPrefix: string;
  /** The config file read, if any. */
  configFile?: string;
  /** The CLI starts a daemon when none answers. */
  autostart: boolean;
  logLevel: LogLevel;
  /** IANA zone for jobs without their own (default: the host's). */
  timezone: string;
  /** Longest accepted request line, in bytes. */
  maxLineBytes: number;
  /** Largest single message, metadata or payload value, in bytes (TOO_LARGE beyond). */
  maxValueBytes: number;
  /** Requests one connection may have in flight before reading pauses. */
  maxInFlight: number;
  /** How long SIGTERM waits for in-flight requests. */
  drainTimeoutMs: number;
  /** Client request timeout. */
  requestTimeoutMs: number;
  /** Import legacy tools' files (infer, picoclaw, relayburn) from the default locations at start (docs/migration.md). */
  migrateLegacyOnStart: boolean;
  /** Change-log retention for resumable events: changes younger than this are kept. */
  eventsRetentionHours: number;
  /** …and at least this many of the newest changes, however old. */
  eventsRetentionMin: number;
  /**
   * How long a run's claim lasts unless the claimant's daemon renews it (renewed every third of it);
   * any daemon sharing the backend returns a run whose lease expired to pending (SPEC §11 R12).
   */
  claimLeaseMs: number;
}

export type Source = "flag" | "env" | "file" | "default";

interface Setting<K extends keyof ResolvedConfig> {
  key: K;
  flag: string;
  env: string;
  parse: (raw: unknown, where: string) => ResolvedConfig[K];
  secret?: boolean;
}

export class ConfigError extends Error {}

const str = (raw: unknown, where: string): string => {
  if (typeof raw !== "string" || raw === "") throw new ConfigError(`${where} must be a non-empty string`);
  return raw;
};
const oneOf = <T extends string>(values: readonly T[]) => (raw: unknown, where: string): T => {
  if (!values.includes(raw as T)) throw new ConfigError(`${where} must be one of ${values.join(", ")}; got ${JSON.stringify(raw)}`);
  return raw as T;
};
const bool = (raw: unknown, where: string): boolean => {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string" && ["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (typeof raw === "string" && ["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${where} must be a boolean (1/0, true/false); got ${JSON.stringify(raw)}`);
};
const positiveInt = (raw: unknown, where: string): number => {
  const n = typeof raw === "string" ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) throw new ConfigError(`${where} must be a positive integer; got ${JSON.stringify(raw)}`);
  return n;
};
const identifier = (raw: unknown, where: string): string => {
  const v = str(raw, where);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(v) || /^pg_/i.test(v)) {
    throw new ConfigError(`${where} must be a plain SQL identifier (letters, digits, _) not starting with pg_; got ${JSON.stringify(v)}`);
  }
  return v;
};
const timeZone = (raw: unknown, where: string): string => {
  const tz = str(raw, where);
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw new ConfigError(`${where} is not a known IANA time zone: ${JSON.stringify(tz)}`);
  }
  return tz;
};

const SETTINGS = [
  { key: "socket", flag: "socket", env: "AGENTSTATE_SOCKET", parse: str },
  { key: "socketGroup", flag: "socket-group", env: "AGENTSTATE_SOCKET_GROUP", parse: str },
  { key: "backend", flag: "backend", env: "AGENTSTATE_BACKEND", parse: oneOf(BACKENDS) },
  { key: "dataDir", flag: "data-dir", env: "AGENTSTATE_DATA_DIR", parse: str },
  { key: "url", flag: "url", env: "AGENTSTATE_URL", parse: str, secret: true },
  { key: "pgSchema", flag: "pg-schema", env: "AGENTSTATE_PG_SCHEMA", parse: identifier },
  { key: "pgPoolSize", flag: "pg-pool-size", env: "AGENTSTATE_PG_POOL_SIZE", parse: positiveInt },
  { key: "redisPrefix", flag: "redis-prefix", env: "AGENTSTATE_REDIS_PREFIX", parse: str },
  { key: "autostart", flag: "autostart", env: "AGENTSTATE_AUTOSTART", parse: bool },
  { key: "logLevel", flag: "log-level", env: "AGENTSTATE_LOG_LEVEL", parse: oneOf(LOG_LEVELS) },
  { key: "timezone", flag: "timezone", env: "AGENTSTATE_TIMEZONE", parse: timeZone },
  { key: "maxLineBytes", flag: "max-line-bytes", env: "AGENTSTATE_MAX_LINE_BYTES", parse: positiveInt },
  { key: "maxValueBytes", flag: "max-value-bytes", env: "AGENTSTATE_MAX_VALUE_BYTES", parse: positiveInt },
  { key: "maxInFlight", flag: "max-in-flight", env: "AGENTSTATE_MAX_IN_FLIGHT", parse: positiveInt },
  { key: "drainTimeoutMs", flag: "drain-timeout-ms", env: "AGENTSTATE_DRAIN_TIMEOUT_MS", parse: positiveInt },
  { key: "requestTimeoutMs", flag: "request-timeout-ms", env: "AGENTSTATE_REQUEST_TIMEOUT_MS", parse: positiveInt },
  { key: "migrateLegacyOnStart", flag: "migrate-legacy-on-start", env: "AGENTSTATE_MIGRATE_LEGACY_ON_START", parse: bool },
  { key: "eventsRetentionHours", flag: "events-retention-hours", env: "AGENTSTATE_EVENTS_RETENTION_HOURS", parse: positiveInt },
  { key: "eventsRetentionMin", flag: "events-retention-min", env: "AGENTSTATE_EVENTS_RETENTION_MIN", parse: positiveInt },
  { key: "claimLeaseMs", flag: "claim-lease-ms", env: "AGENTSTATE_CLAIM_LEASE_MS", parse: positiveInt },
] as const satisfies readonly Setting<keyof ResolvedConfig>[];

/** Flags every entry point accepts, for node:util parseArgs. */
export const CONFIG_FLAGS = Object.fromEntries([
  ...SETTINGS.map((s) => [s.flag, { type: "string" as const }]),
  ["config", { type: "string" as const }],
  ["no-autostart", { type: "boolean" as const }],
]) as Record<string, { type: "string" | "boolean" }>;

export interface ConfigInput {
  flags?: Record<string, string | boolean | undefined>;
  env?: Record<string, string | undefined>;
}

export interface Resolution {
  config: ResolvedConfig;
  sources: Record<keyof ResolvedConfig, Source>;
}

export function resolveConfig({ flags = {}, env = process.env }: ConfigInput = {}): Resolution {
  const explicitFile = (flags.config as string | undefined) ?? env.AGENTSTATE_CONFIG;
  const configFile = explicitFile ?? defaultConfigFile(env);
  const file = readConfigFile(configFile, explicitFile !== undefined);
  const defaults: ResolvedConfig = {
    socket: defaultSocketPath(env),
    backend: "jsonl",
    dataDir: defaultDataDir(env),
    pgSchema: "agentstate",
    pgPoolSize: 10,
    redisPrefix: "agentstate:",
    autostart: true,
    logLevel: "info",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    maxLineBytes: 16 * 1024 * 1024,
    maxValueBytes: 4 * 1024 * 1024,
    maxInFlight: 1024,
    drainTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    migrateLegacyOnStart: false,
    eventsRetentionHours: 24,
    eventsRetentionMin: 100_000,
    claimLeaseMs: DEFAULT_LEASE_MS,
  };
  const config = { ...defaults } as Record<string, unknown>;
  const sources = Object.fromEntries(Object.keys(defaults).map((k) => [k, "default"])) as Record<string, Source>;
  if (file) {
    const known = new Set<string>(SETTINGS.map((s) => s.key));
    for (const key of Object.keys(file.values)) {
      if (!known.has(key)) throw new ConfigError(`${file.path}: unknown setting ${JSON.stringify(key)}`);
    }
    config.configFile = file.path;
    sources.configFile = explicitFile !== undefined ? (flags.config !== undefined ? "flag" : "env") : "default";
  }
  for (const s of SETTINGS) {
    const flag = flags[s.flag];
    const fromEnv = env[s.env];
    if (flag !== undefined) set(s, flag, `--${s.flag}`, "flag");
    else if (fromEnv !== undefined && fromEnv !== "") set(s, fromEnv, s.env, "env");
    else if (file && Object.hasOwn(file.values, s.key)) set(s, file.values[s.key], `${file.path}: ${s.key}`, "file");
  }
  if (flags["no-autostart"] === true) {
    config.autostart = false;
    sources.autostart = "flag";
  }
  return { config: config as unknown as ResolvedConfig, sources: sources };

  function set(s: (typeof SETTINGS)[number], raw: unknown, where: string, source: Source) {
    config[s.key] = s.parse(raw, where);
    sources[s.key] = source;
  }
}

function readConfigFile(path: string, required: boolean): { path: string; values: Record<string, unknown> } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  return { path, values: values as Record<string, unknown> };
}

/** The config with secrets redacted, for printing and logging. */
export function redactConfig(config: ResolvedConfig): ResolvedConfig {
  return config.url === undefined ? { ...config } : { ...config, url: redactUrl(config.url) };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(key)) u.searchParams.set(key, "***");
    return u.toString();
  } catch {
    return "***";
  }
}
