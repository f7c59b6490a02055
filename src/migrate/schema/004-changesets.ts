/** Tables for changesets. */
import type { Migration } from "./migration.js";

export const changesets: Migration = {
  version: 4,
  name: "changesets",
  up: () => [],
};
