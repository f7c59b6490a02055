/**
 * JSON-lines files where the latest line per key wins: `schedules/.state.jsonl` (one key per job)
 * and `runs/<job>.jsonl` (one key per run). A record that changes gets a new line instead of a
 * rewrite; a line may also say a key is gone. Every line of one transaction carries the same `n`
 * (the cursor of that write's change record, so it grows in journal order): an append whose `n` is
 * not above the file's last is a replay of something already there and is skipped, which keeps a
 * replayed old version from shadowing a newer one. When stale lines outnumber live keys, the file
 * is rewritten with the latest line per live key, durably (temp file, fsync, rename, fsync dir),
 * because the journal no longer holds the older lines it keeps.
 */
import { promises as fs } from "node:fs";
import type { FileIO } from "./fileio.js";
import { repairTornTail, writeFileAtomic } from "./files.js";

export interface KeyedLine {
  n: number;
}

interface FileModel {
  lastN: number;
  lines: number;
  live: Set<string>;
}

const SLACK = 64;

export class KeyedLog<L extends KeyedLine> {
  /** What each file holds as far as the apply loop has written it (not memory, which runs ahead). */
  private readonly files = new Map<string, FileModel>();

  constructor(
    private readonly keyOf: (line: L) => string,
    private readonly isGone: (line: L) => boolean,
  ) {}

  /** Reads `path` at open: the latest line per live key, in file order. */
  async load(path: string): Promise<Map<string, L>> {
    await repairTornTail(path);
    const text = await fs.readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    const { latest, model } = this.parse(path, text);
    this.files.set(path, model);
    return latest;
  }

  private parse(path: string, text: string): { latest: Map<string, L>; model: FileModel } {
    const latest = new Map<string, L>();
    const model: FileModel = { lastN: 0, lines: 0, live: new Set() };
    let lineNo = 0;
    for (const raw of text.split("\n")) {
      lineNo++;
      if (raw === "") continue;
      let line: L;
      try {
        line = JSON.parse(raw) as L;
      } catch {
        throw new Error(`${path}:${lineNo} is not a JSON line; refusing to guess what it held`);
      }
      const key = this.keyOf(line);
      latest.delete(key);
      if (this.isGone(line)) model.live.delete(key);
      else {
        latest.set(key, line);
        model.live.add(key);
      }
      model.lastN = Math.max(model.lastN, line.n);
      model.lines++;
    }
    return { latest, model };
  }

  /** Appends the lines of one transaction (one shared `n`), unless the file already has them. */
  async append(io: FileIO, path: string, lines: L[]): Promise<void> {
    if (lines.length === 0) return;
    const model = this.files.get(path) ?? { lastN: 0, lines: 0, live: new Set<string>() };
    this.files.set(path, model);
    if (lines[0].n <= model.lastN) return;
    for (const line of lines) {
      if (this.isGone(line)) model.live.delete(this.keyOf(line));
      else model.live.add(this.keyOf(line));
    }
    model.lastN = lines[0].n;
    model.lines += lines.length;
    io.append(path, lines.map((l) => JSON.stringify(l) + "\n").join(""));
    if (model.lines > 2 * model.live.size + SLACK) await this.compact(io, path);
  }

  async remove(io: FileIO, path: string): Promise<void> {
    this.files.delete(path);
    await io.remove(path);
  }

  private async compact(io: FileIO, path: string): Promise<void> {
    await io.forget(path); // writes what is pending and closes the append handle of the old file
    const { latest, model } = this.parse(path, await fs.readFile(path, "utf8"));
    const lines = [...latest.values()].sort((a, b) => a.n - b.n);
    await writeFileAtomic(path, lines.map((l) => JSON.stringify(l) + "\n").join(""));
    this.files.set(path, { lastN: model.lastN, lines: lines.length, live: model.live });
  }
}
