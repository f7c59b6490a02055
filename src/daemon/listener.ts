/**
 * The Unix socket the daemon serves on (SPEC §5, §8): created 0600 (0660 with a group) inside a
 * 0700 (0750) directory, the umask set before bind so there is never a wider window; one daemon per
 * socket through a pid lock beside it; a stale socket from a crash replaced; or a socket inherited
 * from systemd (LISTEN_FDS), which is used as is and never unlinked.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { promises as fs, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { acquireLock, LockHeldError, type Lock } from "../lib/lockfile.js";

export class AlreadyRunningError extends Error {}

export interface Listener {
  readonly server: Server;
  readonly path: string;
  readonly activated: boolean;
  close(): Promise<void>;
}

export interface ListenOptions {
  path: string;
  group?: string;
  env?: NodeJS.ProcessEnv;
  onConnection: (socket: Socket) => void;
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const env = opts.env ?? process.env;
  const inherited = inheritedFd(env);
  const server = createServer({ pauseOnConnect: false }, opts.onConnection);
  if (inherited !== undefined) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ fd: inherited }, () => resolve());
    });
    return { server, path: opts.path, activated: true, close: () => closeServer(server) };
  }

  const gid = opts.group === undefined ? undefined : lookupGroup(opts.group);
  await prepareDirectory(dirname(opts.path), gid);
  let lock: Lock;
  try {
    lock = await acquireLock(`${opts.path}.lock`);
  } catch (err) {
    if (err instanceof LockHeldError) {
      throw new AlreadyRunningError(`another agentstated (pid ${err.pid}) is serving ${opts.path}`);
    }
    throw err;
  }
  try {
    if (await answers(opts.path)) {
      throw new AlreadyRunningError(`another process is serving ${opts.path}`);
    }
    await fs.rm(opts.path, { force: true }); // stale socket from a crash, if any
    const previous = process.umask(gid === undefined ? 0o177 : 0o117);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.path, () => resolve());
      });
    } finally {
      process.umask(previous);
    }
  } catch (err) {
    await lock.release();
    throw err;
  }
  const { ino } = await fs.stat(opts.path);
  return {
    server,
    path: opts.path,
    activated: false,
    close: async () => {
      await closeServer(server);
      const now = await fs.stat(opts.path).catch(() => undefined);
      if (now?.ino === ino) await fs.rm(opts.path, { force: true });
      await lock.release();
    },
  };
}

/**
 * systemd socket activation: when LISTEN_PID is us, the fd named "agentstate" in LISTEN_FDNAMES
 * (the socket unit's FileDescriptorName=), else the first one, fd 3. The variables are unset for
 * children.
 */
function inheritedFd(env: NodeJS.ProcessEnv): number | undefined {
  const fds = Number(env.LISTEN_FDS);
  const pid = Number(env.LISTEN_PID);
  if (!(fds >= 1) || pid !== process.pid) return undefined;
  const named = (env.LISTEN_FDNAMES ?? "").split(":").indexOf("agentstate");
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  return 3 + (named >= 0 && named < fds ? named : 0);
}

/**
 * The socket's directory: created with the right mode when missing (before the socket exists). An
 * existing directory is never chmodded — it may be /tmp or a home directory — so it must already
 * be ours and closed to others, or the daemon refuses to put its socket there.
 */
async function prepareDirectory(dir: string, gid: number | undefined): Promise<void> {
  const mode = gid === undefined ? 0o700 : 0o2750;
  const created = await fs.mkdir(dir, { recursive: true, mode });
  const st = await fs.lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`${dir} belongs to uid ${st.uid}, not to this user (${uid}); refusing to put the socket there`);
  }
  if (created === undefined) {
    const open = st.mode & (gid === undefined ? 0o077 : 0o027);
    if (open !== 0) {
      throw new Error(
        `${dir} is open to other users (mode ${(st.mode & 0o7777).toString(8)}); give --socket a path in a directory of its own, e.g. ${dir}/agentstate/agentstate.sock`,
      );
    }
    if (gid !== undefined && st.gid !== gid) throw new Error(`${dir} is not in the socket group ${gid}; create it with that group or let the daemon create it`);
    return;
  }
  if (gid !== undefined) await fs.chown(dir, uid ?? -1, gid);
  await fs.chmod(dir, mode); // mkdir's mode is cut by the umask: set it exactly, before the socket exists
}

function lookupGroup(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync("/etc/group", "utf8").split("\n").find((l) => l.split(":")[0] === group);
  if (!line) throw new Error(`socket group ${JSON.stringify(group)} does not exist`);
  return Number(line.split(":")[2]);
}

/** Whether something accepts connections on `path` (a live daemon), within a second. */
export function answers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a hung listener is still a listener
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
