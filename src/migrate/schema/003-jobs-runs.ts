/** Tables for jobs-runs. */
import type { Migration } from "./migration.js";

export const jobsRuns: Migration = {
  version: 3,
  name: "jobs-runs",
  up: () => [],
};
