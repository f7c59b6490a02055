/** plans commands. */
import type { Command } from "../context.js";

export const plansCommands: Command[] = [];
