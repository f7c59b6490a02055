/**
 * The usage ledger on Redis (layout in keys.ts; decisions in docs/decisions/redis-ledger.md). A turn
 * is the string `l:<idHash>`; that key existing is the dedup fact, so inside a unit of work every key
 * read as absent is guarded "must not exist" and racing daemons each store a key at most once (a
 * stored key needs no guard: turns are never removed). Order is the lexicographic sorted set
 * `ledger` of `<ts>\0<idHash>` (canonical ts is fixed-width, so byte order is (ts, idHash) order and
 * since/until are lex bounds), plus the same per session, project, model, source and host value; a
 * read walks whichever of those is smallest in its range.
 */
import type { StoredTurn } from "../../domain/ledger.js";
import type { LedgerFilter, LedgerReadPort, LedgerWritePort, TurnKey } from "../contract.js";
import { matchesFilter } from "../../core/ledger-rules.js";
import type { Command } from "./client.js";
import { lexMember } from "./keys.js";
import { RedisPort } from "./port.js";

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

export class RedisLedgerPort extends RedisPort implements LedgerReadPort, LedgerWritePort {

  /** One read-only script call, EXISTS per key inside Redis; in a unit, absent keys are guarded. */
  async storedKeys(hashes: readonly string[]) {
    const keys = hashes.map((h) => this.k.turn(h));
    const flags = (await this.client.call((r) => r.call("EVAL_RO", EXISTS_EACH, keys.length, ...keys))) as number[];
    const stored = new Set<string>();
    hashes.forEach((h, i) => {
      if (flags[i] === 1) stored.add(h);
      else this.unit?.guardAbsent(keys[i]);
    });
    return stored;
  }

  insertTurns(turns: StoredTurn[]): void {
    this.writes.command(...this.insertCommands(turns));
  }

  async turns(f: LedgerFilter, after: TurnKey | undefined, limit: number) {
    const range = await this.range(f, after && [after.ts, after.idHash]);
    const items: StoredTurn[] = [];
    await this.walk(range, f, range.exact ? limit : Math.max(limit, SCAN_BATCH), (t) => items.push(t) < limit);
    return items;
  }

  async scan(f: LedgerFilter, visit: (t: StoredTurn) => void) {
    await this.walk(await this.range(f), f, CHUNK, (t) => {
      visit(t);
      return true;
    });
  }


  private insertCommands(fresh: StoredTurn[]): Command[] {
    const k = this.k;
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
    const given = DIMS.filter(([, value]) => value(f) !== undefined).map(([dim, value]) => this.k.turnsBy(dim, value(f) as string));
    if (given.length === 0) return { index: this.k.turns(), min, max, exact: true };
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
      const raws = await this.client.call((r) => r.mget(...members.map((m) => this.k.turn(m.slice(m.indexOf("\0") + 1)))));
      for (const raw of raws) {
        if (raw === null) continue; // cannot happen: a turn and its index entries are written together and never removed
        const t = JSON.parse(raw) as StoredTurn;
        if (matchesFilter(t, f) && !visit(t)) return;
      }
      if (members.length < step) return;
      min = `(${members[members.length - 1]}`;
    }
  }
}
