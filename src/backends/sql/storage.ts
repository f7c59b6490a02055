/**
 * The SQL family's storage primitives, shared by sqlite and postgres: a unit of work is one
 * transaction whose reads lock the rows they return (the dialect's FOR UPDATE) and whose writes run
 * in order after the domain operation decided; a unique-key violation, deadlock or serialization
 * failure runs the whole unit again, so the retry decides on what the other writer committed.
 */
import type { ChangeInput } from "../../domain/changes.js";
import type { BackendName, BackendOptions, BackendProbe, ReadPorts, Storage, UnitOfWork } from "../contract.js";
import { recordChanges, SqlChangeLog } from "./changes.js";
import { SqlChangesetsPort } from "./changesets.js";
import { SqlCheckpointsPort } from "./checkpoints.js";
import { SqlConversationsPort } from "./conversations.js";
import { SqlJobsPort } from "./jobs.js";
import { SqlLedgerPort } from "./ledger.js";
import type { SqlDb, TxSql } from "./db.js";
import { SqlGroupsPort } from "./groups.js";
import { SqlHistoryPort } from "./history.js";
import { SqlPlansPort } from "./plans.js";
import { READ_ONLY, SqlWrites } from "./writes.js";

const MAX_ATTEMPTS = 8;

/** Errors that mean "another writer got there first": the unit runs again and decides anew. */
function isRace(dialect: SqlDb["dialect"], err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return dialect.name === "postgres" && (code === "23505" || code === "40001" || code === "40P01");
}

export abstract class SqlStorage implements Storage {
  abstract readonly name: BackendName;
  readonly changes: SqlChangeLog;
  private readonly readPorts: ReadPorts;

  constructor(
    readonly db: SqlDb,
    protected readonly opts: BackendOptions,
    pollMs: number,
  ) {
    this.changes = new SqlChangeLog(db, pollMs, opts.log);
    this.readPorts = {
      conversations: new SqlConversationsPort(db.read, "", READ_ONLY),
      jobs: new SqlJobsPort(db.read, "", READ_ONLY),
      groups: new SqlGroupsPort(db.read, "", READ_ONLY),
      plans: new SqlPlansPort(db.read, "", READ_ONLY),
      history: new SqlHistoryPort(db.read, db.dialect, "", READ_ONLY),
      checkpoints: new SqlCheckpointsPort(db.read, "", READ_ONLY, false),
      changesets: new SqlChangesetsPort(db.read, "", READ_ONLY),
      ledger: new SqlLedgerPort(db.read, db.dialect, READ_ONLY),
    };
  }

  async write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.db.tx((q) => this.unit(q, fn));
        this.changes.committed();
        return result;
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRace(this.db.dialect, err)) throw err;
      }
    }
  }

  private async unit<T>(q: TxSql, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const changes: ChangeInput[] = [];
    const uow = new SqlUnit(q, this.db.dialect, this.opts.now().toISOString(), this.opts.origin, changes);
    const result = await fn(uow);
    await uow.writes.flush(q);
    if (changes.length > 0) await recordChanges(q, this.db, this.opts.origin, uow.now, changes);
    return result;
  }

  read<T>(fn: (ports: ReadPorts) => Promise<T>): Promise<T> {
    return fn(this.readPorts);
  }

  abstract open(): Promise<void>;
  abstract close(): Promise<void>;
  abstract probe(): Promise<BackendProbe>;
}

/** One transaction's unit of work. Each port is made when the operation first uses it (an append needs one of eight). */
class SqlUnit implements UnitOfWork {
  readonly writes = new SqlWrites();
  private c?: SqlConversationsPort;
  private j?: SqlJobsPort;
  private g?: SqlGroupsPort;
  private p?: SqlPlansPort;
  private h?: SqlHistoryPort;
  private k?: SqlCheckpointsPort;
  private s?: SqlChangesetsPort;
  private l?: SqlLedgerPort;

  constructor(
    private readonly q: TxSql,
    private readonly dialect: SqlDb["dialect"],
    readonly now: string,
    readonly origin: string,
    private readonly changes: ChangeInput[],
  ) {}

  change(c: ChangeInput): void {
    this.changes.push(c);
  }

  get conversations() {
    return (this.c ??= new SqlConversationsPort(this.q, this.dialect.forUpdate, this.writes));
  }
  get jobs() {
    return (this.j ??= new SqlJobsPort(this.q, this.dialect.forUpdate, this.writes));
  }
  get groups() {
    return (this.g ??= new SqlGroupsPort(this.q, this.dialect.forUpdate, this.writes));
  }
  get plans() {
    return (this.p ??= new SqlPlansPort(this.q, this.dialect.forUpdate, this.writes));
  }
  get history() {
    return (this.h ??= new SqlHistoryPort(this.q, this.dialect, this.dialect.forUpdate, this.writes));
  }
  get checkpoints() {
    return (this.k ??= new SqlCheckpointsPort(this.q, this.dialect.forUpdate, this.writes, true));
  }
  get changesets() {
    return (this.s ??= new SqlChangesetsPort(this.q, this.dialect.forUpdate, this.writes));
  }
  get ledger() {
    return (this.l ??= new SqlLedgerPort(this.q, this.dialect, this.writes));
  }
}
