/**
 * jsonl conversations: `sessions/<id>.meta.json` (the session record), `sessions/<id>.jsonl` (one
 * message per line, seq ascending), `sessions/<id>.idem.jsonl` (one `{key, firstSeq, lastSeq, n}`
 * per keyed append). Session records and aliases live in memory (the memory model); message bodies
 * only in the files; a session's idempotency keys are read from its file the first time a keyed
 * append needs them.
 *
 * Writes become file operations (vfs.ts): a record is a whole-file replacement, messages and keys
 * are appends, a pop cuts the file back to the popped line's offset, a compaction replaces the file
 * with its visible lines. Reads that a write of the same unit needs (the popped line's offset, the
 * lines a compaction keeps) are kept from the unit's read phase.
 */
import type { Message, Session } from "../../domain/conversations.js";
import { MemoryConversationsPort } from "../memory/conversations.js";
import { encodeId } from "./encode.js";
import type { Files, Model } from "./engine.js";
import { linesBackward, linesForward } from "./lines.js";
import { readBackward, readRange } from "./messages-file.js";
import type { ReadableFile, Vfs } from "./vfs.js";
import { dataDamaged } from "../../domain/errors.js";
import { parseStored } from "./parse.js";

const DIR = "sessions";
const KEY_FILE_SLACK = 64;

const metaPath = (id: string) => `${DIR}/${encodeId(id)}.meta.json`;
const messagesPath = (id: string) => `${DIR}/${encodeId(id)}.jsonl`;
const keysPath = (id: string) => `${DIR}/${encodeId(id)}.idem.jsonl`;

interface KeyLine {
  key: string;
  firstSeq: number;
  lastSeq: number;
  n: number;
}

export class JsonlConversationsPort extends MemoryConversationsPort implements Model {
  /** Sessions whose keys are in memory → lines in their key file. */
  private readonly keyLines = new Map<string, number>();
  /** From this unit's read phase: the newest line of a session (for a pop) and the lines a compaction keeps. */
  private readonly lastLine = new Map<string, { seq: number; offset: number }>();
  private readonly kept = new Map<string, { before: number; text: string }>();

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
    /** The number of keys a session keeps (the core's window), for rewriting key files. */
    private readonly keysKept: number,
  ) {
    super();
  }

  async load(): Promise<void> {
    this.sessions.clear();
    this.aliases.clear();
    this.keys.clear();
    this.keyLines.clear();
    for (const name of await this.vfs.list(DIR)) {
      if (!name.endsWith(".meta.json")) continue;
      const raw = await this.vfs.readAll(`${DIR}/${name}`);
      if (!raw) continue;
      const { poppedSeqs: _popped, ...session } = parseStored<Session & { poppedSeqs?: number[] }>(raw.toString("utf8"), `${DIR}/${name}`);
      if (`${encodeId(session.id)}.meta.json` !== name) {
        throw dataDamaged(`${DIR}/${name} holds session ${JSON.stringify(session.id)}, which belongs in another file (case-insensitive file system?)`);
      }
      this.sessions.set(session.id, session);
      for (const alias of session.aliases ?? []) this.aliases.set(alias, session.id);
    }
  }

  private async read<T>(path: string, fn: (file: ReadableFile) => Promise<T>, empty: T): Promise<T> {
    const file = await this.vfs.open(path);
    if (!file) return empty;
    try {
      return await fn(file);
    } finally {
      await file.close();
    }
  }

  override async session(id: string) {
    await this.vfs.know(metaPath(id), messagesPath(id), keysPath(id));
    return super.session(id);
  }

  override async messages(sessionId: string, from: number, to: number, limit: number) {
    return this.read(messagesPath(sessionId), (f) => readRange(f, from, to, limit), []);
  }

  override async lastMessages(sessionId: string, from: number, n: number) {
    if (n <= 0) return [];
    let kept = 0;
    const placed = await this.read(messagesPath(sessionId), (f) => readBackward(f, (m) => (m.seq >= from && ++kept >= n) || m.seq <= from), []);
    if (placed[0]) this.lastLine.set(sessionId, { seq: placed[0].message.seq, offset: placed[0].offset });
    return placed.filter((p) => p.message.seq >= from).slice(0, n).map((p) => p.message).reverse();
  }

  override async countMessagesBefore(sessionId: string, seq: number) {
    let count = 0;
    const text = await this.read(
      messagesPath(sessionId),
      async (f) => {
        let start = -1;
        await linesForward(f, 0, (line) => {
          if ((JSON.parse(line.text) as Message).seq < seq) {
            count++;
            return true;
          }
          start = line.offset;
          return false;
        });
        if (start === -1) return "";
        const buf = Buffer.alloc(f.size - start);
        await f.read(buf, 0, buf.length, start);
        return buf.toString("utf8");
      },
      "",
    );
    this.kept.set(sessionId, { before: seq, text });
    return count;
  }

  override async appendKey(sessionId: string, key: string) {
    if (!this.keyLines.has(sessionId)) await this.loadKeys(sessionId);
    return super.appendKey(sessionId, key);
  }

  /** The newest keys of a session from its file: the model keeps exactly what the window keeps. */
  private async loadKeys(sessionId: string): Promise<void> {
    const lines = await this.read(keysPath(sessionId), (f) => linesBackward(f, () => false), []);
    const keys = new Map<string, { result: { firstSeq: number; lastSeq: number }; n: number }>();
    for (const line of lines.reverse()) {
      const k = JSON.parse(line.text) as KeyLine;
      keys.delete(k.key);
      keys.set(k.key, { result: { firstSeq: k.firstSeq, lastSeq: k.lastSeq }, n: k.n });
    }
    for (const k of keys.keys()) {
      if (keys.size <= this.keysKept) break;
      keys.delete(k);
    }
    if (!this.keyLines.has(sessionId)) {
      this.keys.set(sessionId, keys);
      this.keyLines.set(sessionId, lines.length);
    }
  }

  override putSession(next: Session, prev: Session | undefined): void {
    super.putSession(next, prev);
    this.files.replace(metaPath(next.id), JSON.stringify(next, null, 2) + "\n");
  }

  override deleteSession(session: Session): void {
    super.deleteSession(session);
    for (const path of [metaPath(session.id), messagesPath(session.id), keysPath(session.id)]) {
      if (this.vfs.exists(path)) this.files.remove(path);
    }
    this.keyLines.set(session.id, 0);
    this.lastLine.delete(session.id);
  }

  override insertMessages(sessionId: string, messages: Message[]): void {
    this.files.append(messagesPath(sessionId), messages.map((m) => JSON.stringify(m) + "\n").join(""));
  }

  override deleteLastMessage(sessionId: string, seq: number): void {
    const last = this.lastLine.get(sessionId);
    if (last?.seq !== seq) throw new Error(`jsonl: pop of ${seq} without reading the last line first`);
    this.files.cut(messagesPath(sessionId), last.offset);
    this.lastLine.delete(sessionId);
  }

  override dropMessagesBefore(sessionId: string, seq: number): void {
    const kept = this.kept.get(sessionId);
    if (kept?.before !== seq) throw new Error(`jsonl: compaction before ${seq} without reading the file first`);
    this.files.replace(messagesPath(sessionId), kept.text);
    this.kept.delete(sessionId);
  }

  override putAppendKey(sessionId: string, key: string, result: { firstSeq: number; lastSeq: number }, n: number): void {
    super.putAppendKey(sessionId, key, result, n);
    this.files.append(keysPath(sessionId), JSON.stringify({ key, ...result, n } satisfies KeyLine) + "\n");
    this.keyLines.set(sessionId, (this.keyLines.get(sessionId) ?? 0) + 1);
  }

  override pruneAppendKeys(sessionId: string, keep: number): void {
    super.pruneAppendKeys(sessionId, keep);
    const keys = this.keys.get(sessionId);
    if (!keys || (this.keyLines.get(sessionId) ?? 0) <= 2 * keep + KEY_FILE_SLACK) return;
    const text = [...keys].map(([key, { result, n }]) => JSON.stringify({ key, ...result, n } satisfies KeyLine) + "\n").join("");
    this.files.replace(keysPath(sessionId), text);
    this.keyLines.set(sessionId, keys.size);
  }
}
