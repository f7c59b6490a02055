/** The memory family's storage primitives: a serial section over in-process models. */
import type { ChangeInput } from "../../domain/changes.js";
import type { BackendOptions, BackendProbe, ReadPorts, Storage, UnitOfWork } from "../contract.js";
import { bufferedPort, SerialSection, WriteSet } from "../common/section.js";
import { MemoryChangeLog } from "./changes.js";
import { CHANGESET_WRITES, MemoryChangesetsPort } from "./changesets.js";
import { CHECKPOINT_WRITES, MemoryCheckpointsPort } from "./checkpoints.js";
import { CONVERSATION_WRITES, MemoryConversationsPort } from "./conversations.js";
import { GROUP_WRITES, MemoryGroupsPort } from "./groups.js";
import { HISTORY_WRITES, MemoryHistoryPort } from "./history.js";
import { JOB_WRITES, MemoryJobsPort } from "./jobs.js";
import { LEDGER_WRITES, MemoryLedgerPort } from "./ledger.js";
import { MemoryPlansPort, PLAN_WRITES } from "./plans.js";

export class MemoryStorage implements Storage {
  readonly name = "memory" as const;
  readonly changes: MemoryChangeLog;
  private readonly section = new SerialSection();
  private readonly ports: ReadPorts & {
    conversations: MemoryConversationsPort;
    jobs: MemoryJobsPort;
    groups: MemoryGroupsPort;
    plans: MemoryPlansPort;
    history: MemoryHistoryPort;
    checkpoints: MemoryCheckpointsPort;
    changesets: MemoryChangesetsPort;
    ledger: MemoryLedgerPort;
  };

  constructor(private readonly opts: BackendOptions) {
    this.changes = new MemoryChangeLog(opts);
    this.ports = {
      conversations: new MemoryConversationsPort(),
      jobs: new MemoryJobsPort(),
      groups: new MemoryGroupsPort(),
      plans: new MemoryPlansPort(),
      history: new MemoryHistoryPort(),
      checkpoints: new MemoryCheckpointsPort(),
      changesets: new MemoryChangesetsPort(),
      ledger: new MemoryLedgerPort(),
    };
  }

  write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    return this.section.run(async () => {
      const set = new WriteSet();
      const changes: ChangeInput[] = [];
      const uow: UnitOfWork = {
        now: this.opts.now().toISOString(),
        origin: this.opts.origin,
        conversations: bufferedPort(this.ports.conversations, CONVERSATION_WRITES, set),
        jobs: bufferedPort(this.ports.jobs, JOB_WRITES, set),
        groups: bufferedPort(this.ports.groups, GROUP_WRITES, set),
        plans: bufferedPort(this.ports.plans, PLAN_WRITES, set),
        history: bufferedPort(this.ports.history, HISTORY_WRITES, set),
        checkpoints: bufferedPort(this.ports.checkpoints, CHECKPOINT_WRITES, set),
        changesets: bufferedPort(this.ports.changesets, CHANGESET_WRITES, set),
        ledger: bufferedPort(this.ports.ledger, LEDGER_WRITES, set),
        change: (c) => set.push(() => changes.push(c)),
      };
      const result = await fn(uow);
      set.apply();
      this.changes.recordAt(uow.now, changes);
      return result;
    });
  }

  read<T>(fn: (ports: ReadPorts) => Promise<T>): Promise<T> {
    return fn(this.ports);
  }

  async open() {}
  async close() {}
  async probe(): Promise<BackendProbe> {
    return { ok: true, latencyMs: 0 };
  }
}
