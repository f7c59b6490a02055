/**
 * Every schema migration, in version order. Append-only: a shipped migration is never edited; a
 * change is a new one with the next version.
 */
import { core } from "./001-core.js";
import type { Migration } from "./migration.js";

export const MIGRATIONS: readonly Migration[] = [core];

export type { Migration } from "./migration.js";
