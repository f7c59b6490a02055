/** jobs commands. */
import type { Command } from "../context.js";

export const jobsCommands: Command[] = [];
