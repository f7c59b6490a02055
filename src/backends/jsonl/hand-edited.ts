/**
 * What the stores of hand-editable files (plans/*.md, schedules/*.yaml) share: recognising the
 * daemon's own writes by content hash so the watcher does not echo them, leaving a file alone while
 * a write to it is on its way, the warnings for files a person broke, and the id a file stands for.
 * See docs/decisions/jsonl-groups-plans-history.md and jsonl-jobs.md.
 */
import { createHash } from "node:crypto";
import type { BackendLog } from "../contract.js";
import { decodeId, encodeId } from "./encode.js";

export const hashText = (text: string): string => createHash("sha256").update(text).digest("base64url");

const HASHES_KEPT = 8;

export class HandEdits {
  /** Hashes of the contents the daemon wrote or accepted per id, newest last. */
  private readonly known = new Map<string, string[]>();
  /** Writes to an id's file committed to memory and not yet applied: the watcher leaves those files alone. */
  private readonly inflight = new Map<string, number>();
  private readonly problems = new Map<string, string>();

  /** `dir` is the directory's name as an operator sees it (e.g. "schedules"). */
  constructor(
    private readonly dir: string,
    private readonly log: BackendLog | undefined,
  ) {}

  remember(id: string, hash: string): void {
    const list = (this.known.get(id) ?? []).filter((h) => h !== hash);
    list.push(hash);
    if (list.length > HASHES_KEPT) list.shift();
    this.known.set(id, list);
  }

  knows(id: string, hash: string): boolean {
    return this.known.get(id)?.includes(hash) ?? false;
  }

  /** The hash of the content the id's record now stands for. */
  latest(id: string): string | undefined {
    return this.known.get(id)?.at(-1);
  }

  forget(id: string): void {
    this.known.delete(id);
  }

  /** A write to the id's file was committed to memory (call from the op's memory applier). */
  begin(id: string): void {
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
  }

  /** That write is in the file (call from Engine.onApplied). */
  end(id: string): void {
    const n = (this.inflight.get(id) ?? 1) - 1;
    if (n > 0) this.inflight.set(id, n);
    else this.inflight.delete(id);
  }

  busy(id: string): boolean {
    return this.inflight.has(id);
  }

  warn(name: string, message: string): void {
    const text = `${this.dir}/${name}: ${message}; the last good version stays in effect`;
    if (this.problems.get(name) !== text) this.log?.warn(text, { file: `${this.dir}/${name}` });
    this.problems.set(name, text);
  }

  clear(name: string): void {
    if (this.problems.delete(name)) this.log?.info(`${this.dir}/${name} is readable again`, { file: `${this.dir}/${name}` });
  }

  warnings(): string[] {
    return [...this.problems.values()];
  }
}

/**
 * The id of the record in file `name` (`<stem><suffix>`): the one the file declares, else the one
 * the name encodes. Returns an error message instead when neither works or they disagree.
 */
export function idForFile(name: string, suffix: string, declared: string | undefined): string | { error: string } {
  const stem = name.slice(0, -suffix.length);
  const decoded = decodeId(stem);
  const id = declared ?? (decoded !== undefined && encodeId(decoded) === stem ? decoded : undefined);
  if (id === undefined) return { error: "no id in the file, and the file name is not an encoded id" };
  if (`${encodeId(id)}${suffix}` !== name) return { error: `id ${JSON.stringify(id)} belongs in ${encodeId(id)}${suffix}` };
  return id;
}
