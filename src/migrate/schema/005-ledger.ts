/** Tables for ledger. */
import type { Migration } from "./migration.js";

export const ledger: Migration = {
  version: 5,
  name: "ledger",
  up: () => [],
};
