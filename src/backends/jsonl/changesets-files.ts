/**
 * The files of the jsonl changesets store (formats: docs/decisions/jsonl-changesets.md):
 *
 *   changesets/<plan>/<changeset>.json           the ChangeSet plus its lastSeq counter (rewritten)
 *   changesets/<plan>/<changeset>.entries.jsonl  its entries, one per line, ascending seq (appended)
 *   invocations/<plan>/<invocation>.json         one ToolInvocation (rewritten on every save)
 *
 * `<plan>`, `<changeset>`, `<invocation>` are encodeId of the ids. Appliers call these from the
 * journal's apply loop, one at a time; readers call the read functions after `settled()`.
 */
import { promises as fs } from "node:fs";
import { dirname, join } from "node:path";
import type { ChangeEntry, ChangeSet, ToolInvocation } from "../../domain/changesets.js";
import { encodeId } from "./encode.js";
import type { Engine } from "./engine.js";
import type { FileIO } from "./fileio.js";
import { fsyncDir, readLinesBackward, repairTornTail } from "./files.js";

/** A changeset as stored: the record plus the seq of its last entry (never returned). */
export interface CsMeta extends ChangeSet {
  lastSeq: number;
}

export const pretty = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export class ChangesetFiles {
  /** Last seq in each entries file, learned lazily; lets a replayed append skip what is there. */
  private readonly fileLastSeq = new Map<string, number>();
  /** Plan folders known to exist (FileIO remembers folders it made, so removals are tracked here). */
  private readonly knownDirs = new Set<string>();

  constructor(private readonly engine: Engine) {}

  csDir = (planId: string) => this.engine.path("changesets", encodeId(planId));
  csPath = (planId: string, id: string) => join(this.csDir(planId), `${encodeId(id)}.json`);
  entriesPath = (planId: string, id: string) => join(this.csDir(planId), `${encodeId(id)}.entries.jsonl`);
  invDir = (planId: string) => this.engine.path("invocations", encodeId(planId));
  invPath = (planId: string, id: string) => join(this.invDir(planId), `${encodeId(id)}.json`);

  /** Every `<root>/<plan>/<id>.json`, each checked to sit in the file its ids encode to. */
  async readRecords<R extends { id: string; planId: string }>(root: string, pathOf: (r: R) => string): Promise<R[]> {
    const out: R[] = [];
    const folders = await fs.readdir(this.engine.path(root), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [];
      throw err;
    });
    for (const folder of folders) {
      if (!folder.isDirectory()) continue;
      const dir = this.engine.path(root, folder.name);
      this.knownDirs.add(dir);
      for (const name of await fs.readdir(dir)) {
        if (name.startsWith(".") || !name.endsWith(".json")) continue; // temp files of an interrupted rewrite
        const path = join(dir, name);
        const record = JSON.parse(await fs.readFile(path, "utf8")) as R;
        if (pathOf(record) !== path) {
          throw new Error(`${path} holds ${JSON.stringify(record.id)} of plan ${JSON.stringify(record.planId)}, which belongs in another file (case-insensitive file system?)`);
        }
        out.push(record);
      }
    }
    return out;
  }

  /** Creates a plan folder before a write into it; a new folder's name is made durable at once. */
  async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const first = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    if (first !== undefined) {
      await fsyncDir(dirname(dir));
      if (first !== dir) await fsyncDir(dirname(first)); // the root folder was new too
    }
    this.knownDirs.add(dir);
  }

  /**
   * Removes a plan folder durably. `paths` are the files the store wrote there: their pending
   * writes and open handles are dropped first (anything else in the folder goes with it).
   */
  async removeDir(dir: string, paths: string[], io: FileIO): Promise<void> {
    for (const path of paths) {
      await io.remove(path);
      this.fileLastSeq.delete(path);
    }
    await fs.rm(dir, { recursive: true, force: true });
    this.knownDirs.delete(dir);
    await fsyncDir(dirname(dir)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  /** Queues the entries the file does not hold yet (all of them, except when replaying). */
  async appendEntries(planId: string, id: string, entries: ChangeEntry[], io: FileIO): Promise<void> {
    await this.ensureDir(this.csDir(planId));
    const path = this.entriesPath(planId, id);
    const last = await this.lastSeqInFile(path, io);
    const fresh = entries.filter((e) => e.seq > last);
    if (fresh.length === 0) return;
    io.append(path, fresh.map((e) => JSON.stringify(e) + "\n").join(""));
    this.fileLastSeq.set(path, fresh[fresh.length - 1].seq);
  }

  private async lastSeqInFile(path: string, io: FileIO): Promise<number> {
    const known = this.fileLastSeq.get(path);
    if (known !== undefined) return known;
    await io.flushPath(path);
    await repairTornTail(path);
    const [line] = await readLinesBackward(path, () => true);
    const seq = line ? (JSON.parse(line.text) as ChangeEntry).seq : 0;
    this.fileLastSeq.set(path, seq);
    return seq;
  }

  /** Entries with seq <= upTo, ascending; complete lines only (a line being appended is ignored). */
  async readEntries(planId: string, id: string, upTo: number): Promise<ChangeEntry[]> {
    const text = (await readIfExists(this.entriesPath(planId, id))) ?? "";
    const entries: ChangeEntry[] = [];
    for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
      if (line === "") continue;
      const e = JSON.parse(line) as ChangeEntry;
      if (e.seq <= upTo) entries.push(e);
    }
    return entries;
  }

  /** The invocation's file, or undefined if it is not (or no longer) there. */
  async readInvocation(planId: string, id: string): Promise<ToolInvocation | undefined> {
    const text = await readIfExists(this.invPath(planId, id));
    return text === undefined ? undefined : (JSON.parse(text) as ToolInvocation);
  }
}
