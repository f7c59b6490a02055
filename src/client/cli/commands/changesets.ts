/** changesets commands. */
import type { Command } from "../context.js";

export const changesetsCommands: Command[] = [];
