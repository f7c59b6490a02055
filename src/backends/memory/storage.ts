/** The memory family's storage primitives: a serial section over in-process models. */
import type { ChangeInput } from "../../domain/changes.js";
import type { BackendOptions, BackendProbe, ReadPorts, Storage, UnitOfWork } from "../contract.js";
import { bufferedPort, SerialSection, WriteSet } from "../common/section.js";
import { MemoryChangeLog } from "./changes.js";
import { CHANGESET_WRITES, MemoryChangesetsPort } from "./changesets.js";
import { CONVERSATION_WRITES, MemoryConversationsPort } from "./conversations.js";
import { LEDGER_WRITES, MemoryLedgerPort } from "./ledger.js";

export class MemoryStorage implements Storage {
  readonly name = "memory" as const;
  readonly changes: MemoryChangeLog;
  private readonly section = new SerialSection();
  private readonly ports: ReadPorts & { conversations: MemoryConversationsPort; changesets: MemoryChangesetsPort; ledger: MemoryLedgerPort };

  constructor(private readonly opts: BackendOptions) {
    this.changes = new MemoryChangeLog(opts);
    this.ports = { conversations: new MemoryConversationsPort(), changesets: new MemoryChangesetsPort(), ledger: new MemoryLedgerPort() };
  }

  write<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    return this.section.run(async () => {
      const set = new WriteSet();
      const changes: ChangeInput[] = [];
      const uow: UnitOfWork = {
        now: this.opts.now().toISOString(),
        origin: this.opts.origin,
        conversations: bufferedPort(this.ports.conversations, CONVERSATION_WRITES, set),
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
