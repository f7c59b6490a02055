/** One schema migration: append-only, never edited once shipped. */
import type { Dialect } from "../../backends/sql/db.js";

export interface Migration {
  version: number;
  name: string;
  /** Statements to run, in order, inside the migration transaction. */
  up(d: Dialect): string[];
}
