/** Tables for groups-plans-history. */
import type { Migration } from "./migration.js";

export const groupsPlansHistory: Migration = {
  version: 2,
  name: "groups-plans-history",
  up: () => [],
};
