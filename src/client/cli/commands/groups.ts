/** groups commands. */
import type { Command } from "../context.js";

export const groupsCommands: Command[] = [];
