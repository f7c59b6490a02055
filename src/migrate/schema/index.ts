/**
 * Every schema migration, in version order. Append-only: a shipped migration is never edited; a
 * change is a new one with the next version.
 */
import { core } from "./001-core.js";
import { groupsPlansHistory } from "./002-groups-plans-history.js";
import { jobsRuns } from "./003-jobs-runs.js";
import { changesets } from "./004-changesets.js";
import { ledger } from "./005-ledger.js";
import { aliasesKeyOrder } from "./006-aliases-key-order.js";
import { changeSequencer } from "./011-change-sequencer.js";
import { checkpoints } from "./012-checkpoints.js";
import type { Migration } from "./migration.js";

export const MIGRATIONS: readonly Migration[] = [core, groupsPlansHistory, jobsRuns, changesets, ledger, aliasesKeyOrder, changeSequencer, checkpoints];

export type { Migration } from "./migration.js";
