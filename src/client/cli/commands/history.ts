/** history commands. */
import type { Command } from "../context.js";

export const historyCommands: Command[] = [];
