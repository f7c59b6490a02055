/** changesets show. */
import type { ChangeEntry, ChangeSet, ChangeSetWithEntries } from "../../../domain/changesets.js";
import type { Client } from "../../index.js";
import { requireArg, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

/** Every changeset of the plan, oldest first, each with its entries. */
async function changesetsOf(client: Client, planId: string): Promise<ChangeSetWithEntries[]> {
  const all: ChangeSet[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.changesets.listForPlan({ planId, cursor, limit: 1000 });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const out: ChangeSetWithEntries[] = [];
  for (const cs of all) out.push(await client.changesets.get({ id: cs.id }));
  return out;
}

function render(planId: string, changesets: readonly ChangeSetWithEntries[]): string {
  if (changesets.length === 0) return `no changesets for plan ${planId}\n`;
  return changesets
    .map((cs) => {
      const n = cs.entries.length;
      const head = `changeset ${cs.id}  ${cs.status}  ${n} ${n === 1 ? "entry" : "entries"}  created ${cs.createdAt}  updated ${cs.updatedAt}\n`;
      if (n === 0) return head;
      return head + formatTable<ChangeEntry>(cs.entries, [
        { header: "seq", value: (e) => e.seq },
        { header: "operation", value: (e) => e.operation },
        { header: "path", value: (e) => e.path, max: 80 },
        { header: "from", value: (e) => e.fromPath, max: 80 },
      ]);
    })
    .join("\n");
}

export const changesetsCommands: Command[] = [
  {
    words: ["changesets", "show"],
    usage: "agentstate changesets show <planId> [--json]",
    summary: "A plan's changesets with their status and entries; --json prints the records (diffs included).",
    async run(ctx) {
      const planId = requireArg(ctx, 0, "planId");
      const client = await ctx.client();
      const changesets = await changesetsOf(client, planId);
      emit(ctx.out, changesets, () => render(planId, changesets));
    },
  },
];
