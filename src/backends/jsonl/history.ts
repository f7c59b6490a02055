/**
 * jsonl shell history: `history.jsonl`, one entry per line in seq order, and `history.idem.jsonl`,
 * one `{ key, firstSeq, lastSeq }` line per append that carried an idempotency key.
 *
 * Memory (P7: it must not grow with the data): the last assigned seq, the file's size and line
 * count, a sparse index (the byte offset of every 256th line, ~50 pairs at the default retention)
 * and the newest 1,000 idempotency keys. Entries are read from the file: a page reads the index
 * segments from its bound backwards, so `tail`-like lists cost O(limit), not O(file).
 *
 * Retention: seqs are dense, so "the newest N" is exactly seq > lastSeq − N; reads never return
 * older lines, which makes the pruning part of the append itself. The file is rewritten without
 * those lines (temp file, fsync, rename) once it holds N + max(N/4, 64) lines, inside
 * `runExclusive`, with the newest line always kept so that the last seq survives a reopen.
 */
import { promises as fs } from "node:fs";
import type { HistoryAppendResult, HistoryEntry, HistoryEntryInput } from "../../domain/history.js";
import type { BackendOptions, HistoryQuery, HistoryStore, Page } from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import type { JsonlChangeLog } from "./changes.js";
import type { JsonlDomain } from "./domain.js";
import type { Engine } from "./engine.js";
import { readLinesBackward, repairTornTail, writeFileAtomic } from "./files.js";
import type { Op } from "./journal.js";

interface AppendOp extends Op {
  k: "hist";
  e: HistoryEntry[];
}
interface IdemOp extends Op {
  k: "histidem";
  key: string;
  r: HistoryAppendResult;
}

const STRIDE = 256;
const IDEMPOTENCY_KEYS_KEPT = 1000;

/** Calls `fn` with every complete line of `data` (a buffer starting at a line) and its offset. */
function eachLine(data: Buffer, base: number, fn: (line: Buffer, offset: number) => void): number {
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
    if (nl > start) fn(data.subarray(start, nl), base + start);
    start = nl + 1;
  }
  return start; // bytes consumed
}

const seqOf = (line: Buffer): number => (JSON.parse(line.toString("utf8")) as HistoryEntry).seq;

export class JsonlHistory implements HistoryStore, JsonlDomain {
  private lastSeq = 0;
  private fileLast = 0;
  private fileSize = 0;
  private lines = 0;
  private index: Array<[seq: number, offset: number]> = [];
  private readonly idem = new Map<string, HistoryAppendResult>();
  private idemFileLast = 0;
  /** Bumped before and after a rewrite of the file: a read that saw it change is retried. */
  private generation = 0;
  private compaction?: Promise<void>;
  private readonly path: string;
  private readonly idemPath: string;

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {
    this.path = engine.path("history.jsonl");
    this.idemPath = engine.path("history.idem.jsonl");
    engine.register<AppendOp>("hist", {
      memory: (op) => void (this.lastSeq = Math.max(this.lastSeq, op.e[op.e.length - 1].seq)),
      files: async (op, io) => {
        const fresh = op.e.filter((e) => e.seq > this.fileLast); // replayed entries are already there
        if (fresh.length === 0) return;
        let text = "";
        for (const e of fresh) {
          const line = JSON.stringify(e) + "\n";
          if (this.lines % STRIDE === 0) this.index.push([e.seq, this.fileSize]);
          this.fileSize += Buffer.byteLength(line);
          this.lines++;
          text += line;
        }
        io.append(this.path, text);
        this.fileLast = fresh[fresh.length - 1].seq;
      },
    });
    engine.register<IdemOp>("histidem", {
      memory: (op) => {
        this.idem.delete(op.key);
        this.idem.set(op.key, op.r);
        if (this.idem.size > IDEMPOTENCY_KEYS_KEPT) this.idem.delete(this.idem.keys().next().value as string);
      },
      files: async (op, io) => {
        if (op.r.lastSeq <= this.idemFileLast) return;
        io.append(this.idemPath, JSON.stringify({ key: op.key, ...op.r }) + "\n");
        this.idemFileLast = op.r.lastSeq;
      },
    });
  }

  private get keep(): number {
    return retentionOf(this.opts).historyEntries;
  }

  async load(): Promise<void> {
    await repairTornTail(this.path);
    this.rebuild(await fs.readFile(this.path).catch(() => Buffer.alloc(0)));
    this.lastSeq = this.fileLast;
    await repairTornTail(this.idemPath);
    const lines = await readLinesBackward(this.idemPath, () => this.idem.size >= IDEMPOTENCY_KEYS_KEPT);
    for (const line of lines.reverse()) {
      const { key, firstSeq, lastSeq } = JSON.parse(line.text) as { key: string } & HistoryAppendResult;
      this.idem.delete(key);
      this.idem.set(key, { firstSeq, lastSeq });
      this.idemFileLast = Math.max(this.idemFileLast, lastSeq);
    }
  }

  /** Rebuilds the index and counters from the whole file's content. */
  private rebuild(data: Buffer): void {
    this.index = [];
    this.lines = 0;
    let last = 0;
    this.fileSize = eachLine(data, 0, (line, offset) => {
      last = seqOf(line);
      if (this.lines % STRIDE === 0) this.index.push([last, offset]);
      this.lines++;
    });
    this.fileLast = Math.max(this.fileLast, last);
  }

  async beforeClose(): Promise<void> {
    await this.compaction;
  }

  async append(inputs: HistoryEntryInput[], idempotencyKey?: string): Promise<HistoryAppendResult> {
    const previous = idempotencyKey === undefined ? undefined : this.idem.get(idempotencyKey);
    if (previous) return { ...previous };
    const now = this.opts.now().toISOString();
    const firstSeq = this.lastSeq + 1;
    const entries = inputs.map((input, i): HistoryEntry => {
      const { createdAt, ...fields } = structuredClone(input);
      return { seq: firstSeq + i, ...fields, createdAt: createdAt === undefined ? now : new Date(createdAt).toISOString() };
    });
    const result = { firstSeq, lastSeq: firstSeq + entries.length - 1 };
    const ops: Op[] = [{ k: "hist", e: entries } as AppendOp];
    if (idempotencyKey !== undefined) ops.push({ k: "histidem", key: idempotencyKey, r: result } as IdemOp);
    ops.push(this.changes.op({ domain: "history", type: "history.appended", id: String(firstSeq), data: { ...result } }));
    await this.engine.tx(ops);
    this.maybeCompact();
    return { ...result };
  }

  private maybeCompact(): void {
    if (this.compaction || this.lines <= this.keep + Math.max(Math.ceil(this.keep / 4), 64)) return;
    this.compaction = this.engine
      .runExclusive(() => this.compact())
      .catch((err: unknown) => this.opts.log?.warn("jsonl history: pruning history.jsonl failed; it is retried after the next append", { error: String(err) }))
      .finally(() => {
        this.compaction = undefined;
      });
  }

  /** Runs with no write in progress and every applied write in the files. */
  private async compact(): Promise<void> {
    const floor = Math.min(this.fileLast - this.keep, this.fileLast - 1);
    await this.engine.io.forget(this.path); // its open append handle would point at the old file
    const data = await fs.readFile(this.path);
    let from = data.length;
    eachLine(data, 0, (line, offset) => {
      if (from === data.length && seqOf(line) > floor) from = offset;
    });
    if (from === 0) return;
    const kept = data.subarray(from);
    this.generation++;
    try {
      await writeFileAtomic(this.path, kept);
      this.rebuild(kept);
    } finally {
      this.generation++;
    }
    const keys = [...this.idem].filter(([, r]) => r.lastSeq <= this.idemFileLast);
    await this.engine.io.forget(this.idemPath);
    await writeFileAtomic(this.idemPath, keys.map(([key, r]) => JSON.stringify({ key, ...r }) + "\n").join(""));
  }

  async list(q: HistoryQuery): Promise<Page<HistoryEntry>> {
    const fromCursor = q.cursor === undefined ? Infinity : Number(decodeCursor(q.cursor, 1)[0]);
    const before = Math.min(q.beforeSeq ?? Infinity, fromCursor);
    await this.engine.settled();
    for (;;) {
      const generation = this.generation;
      if (generation % 2 === 1) {
        await this.compaction;
        continue;
      }
      const page = await this.read(before, q.limit, q.contains);
      if (generation === this.generation) return page;
    }
  }

  /** The newest `limit` retained entries below `before` (matching `contains`), walking index segments backwards. */
  private async read(before: number, limit: number, contains: string | undefined): Promise<Page<HistoryEntry>> {
    const index = this.index;
    const size = this.fileSize;
    const floor = this.fileLast - this.keep; // seqs at or below it are pruned
    let i = index.length - 1;
    while (i >= 0 && index[i][0] >= before) i--;
    const newestFirst: HistoryEntry[] = [];
    let more = false;
    if (i < 0) return { items: [], nextCursor: null };
    const fh = await fs.open(this.path, "r");
    try {
      scan: for (; i >= 0; i--) {
        const start = index[i][1];
        const end = i + 1 < index.length ? Math.min(index[i + 1][1], size) : size;
        if (start >= end) continue;
        const buf = Buffer.alloc(end - start);
        const { bytesRead } = await fh.read(buf, 0, buf.length, start);
        const segment: HistoryEntry[] = [];
        eachLine(buf.subarray(0, bytesRead), start, (line) => void segment.push(JSON.parse(line.toString("utf8")) as HistoryEntry));
        for (let j = segment.length - 1; j >= 0; j--) {
          const e = segment[j];
          if (e.seq >= before) continue;
          if (e.seq <= floor) break scan;
          if (contains !== undefined && !e.command.includes(contains)) continue;
          if (newestFirst.length === limit) {
            more = true;
            break scan;
          }
          newestFirst.push(e);
        }
      }
    } finally {
      await fh.close();
    }
    const items = newestFirst.reverse();
    return { items, nextCursor: more ? encodeCursor([items[0].seq]) : null };
  }
}
