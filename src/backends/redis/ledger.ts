/**
 * The usage ledger on Redis (layout in keys.ts; decisions in docs/decisions/redis-ledger.md). A turn
 * is the string `l:<idHash>`; that key existing is the dedup decision, so an ingest guards every
 * turn it inserts with "must not exist" and racing daemons each store a key at most once. Order is
 * the lexicographic sorted set `ledger` of `<ts>\0<idHash>` (canonical ts is fixed-width, so byte
 * order is (ts, idHash) order and since/until are lex bounds), plus the same per session, project,
 * model, source and host value; a query walks whichever of those is smallest in its range.
 */
import { invalidParams } from "../../domain/errors.js";
import { idHash, type IngestResult, type StoredTurn, type SummaryRow, type Turn } from "../../domain/ledger.js";
import type { BackendOptions, LedgerFilter, LedgerQuery, LedgerStore, LedgerSummaryQuery, Page } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { matchesFilter, SummaryBuilder } from "../common/ledger.js";
import type { Command, Guard, RedisClient } from "./client.js";
import { lexMember, type Keys } from "./keys.js";
import type { WritePlan, Writer } from "./write.js";

type Dim = "session" | "project" | "model" | "source" | "host";
const DIMS: [Dim, (f: LedgerFilter) => string | undefined][] = [
  ["session", (f) => f.sessionId],
  ["project", (f) => f.project],
  ["model", (f) => f.model],
  ["source", (f) => f.source],
  ["host", (f) => f.host],
];

/** Members or key/value pairs per command: the Lua script unpacks each command onto its stack. */
const CHUNK = 1000;
/** Per key, 1 when it exists: one round trip for a whole batch (a pipeline of EXISTS costs far more). */
const EXISTS_EACH = "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('EXISTS', k) end return r";
/** Index members read per step when the records must be filtered further. */
const SCAN_BATCH = 500;

interface Range {
  index: string;
  min: string;
  max: string;
  /** The index and bounds select exactly the matching turns: no record is filtered out. */
  exact: boolean;
}

export class RedisLedger implements LedgerStore {
  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {}

  async ingest(turns: Turn[]): Promise<IngestResult> {
    const batch = new Map<string, StoredTurn>();
    for (const t of turns) {
      const key = idHash(t.source, t.sessionId, t.messageId);
      if (!batch.has(key)) batch.set(key, { ...t, idHash: key });
    }
    if (batch.size === 0) return { inserted: 0, duplicates: turns.length };
    const candidates = [...batch.values()];
    return this.writer.write(async (): Promise<WritePlan<IngestResult>> => {
      const stored = await this.existing(candidates.map((t) => t.idHash));
      const fresh = candidates.filter((t) => !stored.has(t.idHash));
      const result = { inserted: fresh.length, duplicates: turns.length - fresh.length };
      // Turns are never deleted, so keys seen stored stay duplicates: nothing to guard then.
      if (fresh.length === 0) return { guards: [], changes: [], commands: [], result };
      const guards: Guard[] = fresh.map((t) => ({ key: this.keys.turn(t.idHash), expect: null }));
      let minTs = fresh[0].ts;
      let maxTs = minTs;
      for (const t of fresh) {
        if (t.ts < minTs) minTs = t.ts;
        if (t.ts > maxTs) maxTs = t.ts;
      }
      return {
        guards,
        changes: [{ domain: "ledger", type: "ledger.ingested", id: fresh[0].idHash, data: { ...result, minTs, maxTs } }],
        commands: this.insertCommands(fresh),
        result,
      };
    });
  }

  /** Which of these idHashes are stored: one read-only script call, EXISTS per key inside Redis. */
  private async existing(hashes: string[]): Promise<Set<string>> {
    const flags = (await this.client.call((r) => r.call("EVAL_RO", EXISTS_EACH, hashes.length, ...hashes.map((h) => this.keys.turn(h))))) as number[];
    return new Set(hashes.filter((_, i) => flags[i] === 1));
  }

  private insertCommands(fresh: StoredTurn[]): Command[] {
    const k = this.keys;
    const indexes = new Map<string, string[]>([[k.turns(), []]]);
    const records: string[] = [];
    for (const t of fresh) {
      records.push(k.turn(t.idHash), JSON.stringify(t));
      const member = lexMember(t.ts, t.idHash);
      (indexes.get(k.turns()) as string[]).push(member);
      for (const [dim, value] of DIMS) {
        const v = value({ sessionId: t.sessionId, project: t.project, model: t.model, source: t.source, host: t.host });
        if (v === undefined) continue;
        const key = k.turnsBy(dim, v);
        let members = indexes.get(key);
        if (!members) indexes.set(key, (members = []));
        members.push(member);
      }
    }
    const commands: Command[] = [];
    for (let i = 0; i < records.length; i += 2 * CHUNK) commands.push(["MSET", ...records.slice(i, i + 2 * CHUNK)]);
    for (const [key, members] of indexes) {
      for (let i = 0; i < members.length; i += CHUNK) {
        const zadd: Command = ["ZADD", key];
        for (const m of members.slice(i, i + CHUNK)) zadd.push(0, m);
        commands.push(zadd);
      }
    }
    return commands;
  }

  /**
   * The index to walk and its lex bounds: the filter's per-value index holding the fewest members
   * in the range (ZLEXCOUNT, O(log n) each), else the index of every turn.
   */
  private async range(f: LedgerFilter, after?: [string, string]): Promise<Range> {
    let min = f.since === undefined ? "-" : `[${f.since}`;
    if (after) {
      const member = lexMember(...after);
      if (f.since === undefined || member >= f.since) min = `(${member}`;
    }
    const max = f.until === undefined ? "+" : `(${f.until}`;
    const given = DIMS.filter(([, value]) => value(f) !== undefined).map(([dim, value]) => this.keys.turnsBy(dim, value(f) as string));
    if (given.length === 0) return { index: this.keys.turns(), min, max, exact: true };
    if (given.length === 1) return { index: given[0], min, max, exact: true };
    const counts = await this.client.call((r) => Promise.all(given.map((key) => r.zlexcount(key, min, max))));
    const smallest = counts.indexOf(Math.min(...counts));
    return { index: given[smallest], min, max, exact: false };
  }

  /**
   * Walks `range` in order, calling `visit` with every matching turn until it returns false.
   * Reads `step` index members and their records at a time.
   */
  private async walk(range: Range, f: LedgerFilter, step: number, visit: (t: StoredTurn) => boolean): Promise<void> {
    let min = range.min;
    for (;;) {
      const members = await this.client.call((r) => r.zrangebylex(range.index, min, range.max, "LIMIT", 0, step));
      if (members.length === 0) return;
      const raws = await this.client.call((r) => r.mget(...members.map((m) => this.keys.turn(m.slice(m.indexOf("\0") + 1)))));
      for (const raw of raws) {
        if (raw === null) continue; // cannot happen: a turn and its index entries are written together and never removed
        const t = JSON.parse(raw) as StoredTurn;
        if (matchesFilter(t, f) && !visit(t)) return;
      }
      if (members.length < step) return;
      min = `(${members[members.length - 1]}`;
    }
  }

  async query(q: LedgerQuery): Promise<Page<StoredTurn>> {
    let after: [string, string] | undefined;
    if (q.cursor !== undefined) {
      const [ts, key] = decodeCursor(q.cursor, 2);
      if (typeof ts !== "string" || typeof key !== "string") throw invalidParams("cursor is not one this server issued", "/cursor");
      after = [ts, key];
    }
    const range = await this.range(q, after);
    const items: StoredTurn[] = [];
    let more = false;
    await this.walk(range, q, range.exact ? q.limit + 1 : Math.max(q.limit + 1, SCAN_BATCH), (t) => {
      if (items.length === q.limit) {
        more = true;
        return false;
      }
      items.push(t);
      return true;
    });
    const last = items[items.length - 1];
    return { items, nextCursor: more ? encodeCursor([last.ts, last.idHash]) : null };
  }

  /** Reads every matching turn of the narrowest index's range and aggregates in JavaScript. */
  async summary(q: LedgerSummaryQuery): Promise<SummaryRow[]> {
    const builder = new SummaryBuilder(q);
    await this.walk(await this.range(q), q, CHUNK, (t) => {
      builder.add(t);
      return true;
    });
    return builder.rows();
  }
}
