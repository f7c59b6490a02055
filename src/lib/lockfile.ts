/**
 * A pid lock file that cannot go stale while its owner lives: it is taken with link(2) (atomic,
 * fails if the file exists), and taken over only when the pid inside is dead. A takeover renames
 * the stale file aside first and checks it is still the dead owner's, so two processes racing to
 * replace the same stale lock cannot both win.
 */
import { promises as fs } from "node:fs";
import { randomBytes } from "node:crypto";

export class LockHeldError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`${path} is held by running process ${pid}`);
  }
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await fs.readFile(path, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

export async function acquireLock(path: string): Promise<Lock> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await fs.writeFile(tmp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await fs.link(tmp, path);
        return { path, release: () => releaseLock(path) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const pid = await readPid(path);
      if (pid !== undefined && isAlive(pid)) throw new LockHeldError(path, pid);
      await takeOverStale(path, pid);
    }
    throw new Error(`could not take ${path}: it keeps changing`);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function takeOverStale(path: string, stalePid: number | undefined): Promise<void> {
  const aside = `${path}.stale.${randomBytes(4).toString("hex")}`;
  try {
    await fs.rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // someone else moved it; retry
    throw err;
  }
  const pid = await readPid(aside);
  if (pid !== stalePid && pid !== undefined && isAlive(pid)) {
    // We moved a lock that a live process took in the meantime: put it back unless replaced again.
    await fs.link(aside, path).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

async function releaseLock(path: string): Promise<void> {
  if ((await readPid(path)) === process.pid) await fs.rm(path, { force: true });
}
