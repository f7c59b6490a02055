/**
 * jsonl checkpoints: one file per thread, `checkpoints/<scope>+<threadId>.jsonl` (each part
 * encoded as ids are; names over 200 characters cut and suffixed with a hash), append-only, one
 * JSON object per line, read in order at open:
 *
 * - `{"thread":{"scope","threadId"}}` — the first line: whose file this is;
 * - `{"checkpoint":{…record}}` — a put (a later line with the same ns and id replaces it);
 * - `{"values":{"ns","values":[…]}}` — channel values first stored by a put;
 * - `{"writes":{"ns","checkpointId","writes":[…]}}` — pending writes (a later line with the same
 *   taskId and idx replaces it);
 * - `{"drop":{"ns","checkpoints":[ids],"values":[[channel, version]…]}}` — retention.
 *
 * The whole thread lives in memory (the memory model); the file is its log. When the file holds
 * more than twice the lines its live records need (plus slack) it is rewritten with those records;
 * deleteThread removes it. A torn last line (a crash mid-append, before the journal replays it) is
 * ignored at load.
 */
import { createHash } from "node:crypto";
import type { ChannelValue, PendingWrite } from "../../domain/checkpoints.js";
import type { CheckpointRecord, ThreadKey, ValuePair } from "../contract.js";
import { MemoryCheckpointsPort, threadName, type ThreadModel } from "../memory/checkpoints.js";
import { encodeId } from "./encode.js";
import type { Files, Model } from "./engine.js";
import type { Vfs } from "./vfs.js";
import { dataDamaged } from "../../domain/errors.js";
import { parseStored } from "./parse.js";

const DIR = "checkpoints";
const SLACK = 64;

type Line =
  | { thread: { scope: string; threadId: string } }
  | { checkpoint: CheckpointRecord }
  | { values: { ns: string; values: ChannelValue[] } }
  | { writes: { ns: string; checkpointId: string; writes: PendingWrite[] } }
  | { drop: { ns: string; checkpoints: string[]; values: ValuePair[] } };

export function threadPath(scope: string, threadId: string): string {
  let name = `${encodeId(scope)}+${encodeId(threadId)}`;
  if (name.length > 200) name = name.slice(0, 180) + "~" + createHash("sha256").update(threadName(scope, threadId)).digest("hex").slice(0, 16);
  return `${DIR}/${name}.jsonl`;
}

const text = (lines: readonly Line[]): string => lines.map((l) => JSON.stringify(l) + "\n").join("");

/** How many lines snapshot() writes for the thread. */
function liveLines(t: ThreadModel): number {
  let n = 1;
  for (const m of t.namespaces.values()) n += m.checkpoints.size + (m.values.size > 0 ? 1 : 0) + m.writes.size;
  return n;
}

export class JsonlCheckpointsPort extends MemoryCheckpointsPort implements Model {
  /** Lines in each thread's file (by threadName), for deciding when to rewrite it. */
  private readonly lines = new Map<string, number>();

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
  ) {
    super();
  }

  async load(): Promise<void> {
    this.clear();
    this.lines.clear();
    for (const name of await this.vfs.list(DIR)) {
      if (!name.endsWith(".jsonl")) continue;
      const raw = await this.vfs.readAll(`${DIR}/${name}`);
      if (!raw) continue;
      const parts = raw.toString("utf8").split("\n");
      parts.pop(); // "" after the last newline, or a torn line
      let key: { scope: string; threadId: string } | undefined;
      for (const part of parts) {
        const line = parseStored<Line>(part, `${DIR}/${name}`);
        if ("thread" in line) key = line.thread;
        else if (!key) throw dataDamaged(`${DIR}/${name} does not start with its thread line`);
        else this.replay(key, line);
      }
      if (!key) continue;
      if (threadPath(key.scope, key.threadId) !== `${DIR}/${name}`) {
        throw dataDamaged(`${DIR}/${name} holds thread ${JSON.stringify(key)}, which belongs in another file (case-insensitive file system?)`);
      }
      this.lines.set(threadName(key.scope, key.threadId), parts.length);
    }
  }

  private replay(t: { scope: string; threadId: string }, line: Line): void {
    const at = (ns: string): ThreadKey => ({ ...t, ns });
    if ("checkpoint" in line) super.putCheckpoint(line.checkpoint, undefined);
    else if ("values" in line) super.putValues(at(line.values.ns), line.values.values);
    else if ("writes" in line) super.putWrites(at(line.writes.ns), line.writes.checkpointId, line.writes.writes, []);
    else if ("drop" in line) {
      super.deleteCheckpoints(at(line.drop.ns), line.drop.checkpoints);
      super.deleteValues(at(line.drop.ns), line.drop.values);
    }
  }

  // Reads learn the thread file's size, so that the unit's writes can be placed (vfs.know).
  private async know(scope: string, threadId: string): Promise<void> {
    await this.vfs.know(threadPath(scope, threadId));
  }

  override async checkpoint(key: ThreadKey, id: string) {
    await this.know(key.scope, key.threadId);
    return super.checkpoint(key, id);
  }

  override async channelValues(key: ThreadKey, pairs: readonly ValuePair[]) {
    await this.know(key.scope, key.threadId);
    return super.channelValues(key, pairs);
  }

  override async pendingWrites(key: ThreadKey, checkpointId: string) {
    await this.know(key.scope, key.threadId);
    return super.pendingWrites(key, checkpointId);
  }

  override async namespaceContents(key: ThreadKey) {
    await this.know(key.scope, key.threadId);
    return super.namespaceContents(key);
  }

  override async threadSize(scope: string, threadId: string) {
    await this.know(scope, threadId);
    return super.threadSize(scope, threadId);
  }

  /** Appends `line` to the thread's file (creating it with its thread line), or rewrites the file when it has grown. */
  private append(t: { scope: string; threadId: string }, line: Line): void {
    const name = threadName(t.scope, t.threadId);
    const path = threadPath(t.scope, t.threadId);
    const thread = this.threads.get(name);
    const count = this.vfs.exists(path) ? (this.lines.get(name) ?? 0) : 0;
    if (!thread) return;
    if (count === 0 || count + 1 > 2 * liveLines(thread) + SLACK) {
      const live = this.snapshot(thread);
      this.files.replace(path, text(live));
      this.lines.set(name, live.length);
      return;
    }
    this.files.append(path, text([line]));
    this.lines.set(name, count + 1);
  }

  /** The lines that hold the thread as the model has it now. */
  private snapshot(t: ThreadModel): Line[] {
    const out: Line[] = [{ thread: { scope: t.scope, threadId: t.threadId } }];
    for (const [ns, model] of t.namespaces) {
      for (const r of model.checkpoints.values()) out.push({ checkpoint: r });
      if (model.values.size > 0) out.push({ values: { ns, values: [...model.values.values()] } });
      for (const [checkpointId, writes] of model.writes) out.push({ writes: { ns, checkpointId, writes: [...writes.values()] } });
    }
    return out;
  }

  override putCheckpoint(next: CheckpointRecord, prev: CheckpointRecord | undefined): void {
    super.putCheckpoint(next, prev);
    this.append(next, { checkpoint: next });
  }

  override putValues(key: ThreadKey, values: readonly ChannelValue[]): void {
    super.putValues(key, values);
    this.append(key, { values: { ns: key.ns, values: [...values] } });
  }

  override putWrites(key: ThreadKey, checkpointId: string, inserted: readonly PendingWrite[], replaced: readonly PendingWrite[]): void {
    super.putWrites(key, checkpointId, inserted, replaced);
    this.append(key, { writes: { ns: key.ns, checkpointId, writes: [...inserted, ...replaced] } });
  }

  override deleteCheckpoints(key: ThreadKey, ids: readonly string[]): void {
    super.deleteCheckpoints(key, ids);
    this.append(key, { drop: { ns: key.ns, checkpoints: [...ids], values: [] } });
  }

  override deleteValues(key: ThreadKey, pairs: readonly ValuePair[]): void {
    super.deleteValues(key, pairs);
    this.append(key, { drop: { ns: key.ns, checkpoints: [], values: [...pairs] } });
  }

  override deleteThread(scope: string, threadId: string): void {
    super.deleteThread(scope, threadId);
    const path = threadPath(scope, threadId);
    if (this.vfs.exists(path)) this.files.remove(path);
    this.lines.delete(threadName(scope, threadId));
  }
}
