/** Every CLI command. */
import type { Command } from "../context.js";
import { conversationCommands } from "./conversations.js";
import { daemonCommands } from "./daemon.js";
import { lifecycleCommands } from "./lifecycle.js";
import { groupsCommands } from "./groups.js";
import { jobsCommands } from "./jobs.js";
import { runsCommands } from "./runs.js";
import { plansCommands } from "./plans.js";
import { historyCommands } from "./history.js";
import { changesetsCommands } from "./changesets.js";
import { ledgerCommands } from "./ledger.js";
import { migrateCommands } from "./migrate.js";
import { eventsCommands } from "./events.js";
import { callCommands } from "./call.js";

export const commands: Command[] = [...daemonCommands, ...lifecycleCommands, ...conversationCommands, ...groupsCommands, ...jobsCommands, ...runsCommands, ...plansCommands, ...historyCommands, ...changesetsCommands, ...ledgerCommands, ...eventsCommands, ...migrateCommands, ...callCommands];
