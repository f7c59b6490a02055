/**
 * A throwaway PostgreSQL server for tests: initdb in a temp dir (as the `postgres` user when we are
 * root, since initdb refuses root), started on a free port, stopped when the process exits. One per
 * test process; each test isolates itself in its own schema. AGENTSTATE_TEST_POSTGRES_URL points the
 * tests at an existing server instead. Under CI=true a missing server is a failure, not a skip.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PgServer {
  url: string;
  /** The TCP port (throwaway servers). */
  port?: number;
  /** Present for throwaway servers: stop and start them again (fault tests). */
  stop?(): Promise<void>;
  start?(): Promise<void>;
}

let shared: Promise<PgServer> | undefined;

/** The shared server for this test process, or a reason why there is none. */
export function postgres(): Promise<PgServer> {
  shared ??= process.env.AGENTSTATE_TEST_POSTGRES_URL
    ? Promise.resolve({ url: process.env.AGENTSTATE_TEST_POSTGRES_URL })
    : startThrowawayPostgres();
  return shared;
}

/** Why Postgres tests cannot run here, or undefined when they can. Under CI=true never a reason: fail instead. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await postgres();
    return undefined;
  } catch (err) {
    if (process.env.CI === "true") throw err;
    return `no PostgreSQL server: ${(err as Error).message}`;
  }
}

function pgBin(name: string): string {
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    for (const v of readdirSync(base).sort().reverse()) {
      const p = join(base, v, "bin", name);
      if (existsSync(p)) return p;
    }
  }
  return name;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;
/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user directly (no runuser in between, so signals reach the server). */
const ids = (): { uid?: number; gid?: number } =>
  asRoot ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) } : {};

export interface ThrowawayOptions {
  /**
   * Runs the server inside a network namespace (test/helpers/netns.ts: the lab's `server.wrap`). It
   * then listens on every address of that namespace at `port` (default 5432: the namespace's own),
   * and `url` goes through the Unix socket, so the test's own checks never cross a partition.
   */
  wrap?: (argv: string[]) => string[];
  port?: number;
}

/** A URL of `server` at a TCP address (for a server started with `wrap`: one of the lab's addresses). */
export function pgUrlAt(server: PgServer, host: string): string {
  const u = new URL(server.url.replace(/\?.*$/, ""));
  u.hostname = host;
  u.port = String(server.port ?? 5432);
  return u.toString();
}

export async function startThrowawayPostgres(opts: ThrowawayOptions = {}): Promise<PgServer & { port: number }> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-pg-"));
  const owner = ids();
  if (owner.uid !== undefined && owner.gid !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  execFileSync(pgBin("initdb"), ["-D", data, "--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"], { stdio: "ignore", ...owner });
  const wrap = opts.wrap;
  // The lab's links (test/helpers/netns.ts) are 10.213.X.Y; trust them as initdb trusts loopback.
  if (wrap) appendFileSync(join(data, "pg_hba.conf"), "host all all 10.213.0.0/16 trust\n");
  const port = opts.port ?? (wrap ? 5432 : await freePort());
  const url = wrap ? `postgres://postgres@localhost:${port}/postgres?host=${encodeURIComponent(dir)}` : `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ["-D", data, "-p", String(port), "-k", dir, "-c", `listen_addresses=${wrap ? "*" : "127.0.0.1"}`, "-c", "max_connections=200"];
    if (wrap) {
      // Entering a namespace needs root; setpriv then drops to the postgres user and execs (no fork, so signals reach the server).
      const user = asRoot ? ["setpriv", `--reuid=${owner.uid}`, `--regid=${owner.gid}`, "--clear-groups"] : [];
      const argv = wrap([...user, pgBin("postgres"), ...args]);
      child = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
    } else {
      child = spawn(pgBin("postgres"), args, { stdio: "ignore", ...owner });
    }
    child.unref(); // the server must not keep the test process alive; the exit hook kills it
    const deadline = Date.now() + 20_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error("postgres did not start within 20 s");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    c.ref(); // the child was unref()ed at start; waiting for its exit must keep this process alive
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGINT"); // fast shutdown
    await exited;
  };
  await start();
  process.once("exit", () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, port, stop, start };
}
