/** ledger commands. */
import type { Command } from "../context.js";

export const ledgerCommands: Command[] = [];
