/** describeBackend(name, factory, caps): the whole conformance suite against one backend. */
import { describe } from "node:test";
import { changesConformance } from "./changes.js";
import { changesetsConformance } from "./changesets.js";
import { checkpointsConformance } from "./checkpoints.js";
import { conversationsConformance } from "./conversations.js";
import { groupsConformance } from "./groups.js";
import { historyConformance } from "./history.js";
import { jobsConformance } from "./jobs.js";
import { ledgerConformance } from "./ledger.js";
import { plansConformance } from "./plans.js";
import { makeSuite, type BackendFactory, type Capabilities } from "./harness.js";

export type { BackendFactory, Capabilities } from "./harness.js";

const DOMAINS = [
  conversationsConformance,
  changesConformance,
  groupsConformance,
  jobsConformance,
  plansConformance,
  historyConformance,
  changesetsConformance,
  ledgerConformance,
  checkpointsConformance,
];

export function describeBackend(name: string, factory: BackendFactory, caps: Capabilities): void {
  const suite = makeSuite(name, factory, caps);
  describe(`conformance: ${name}`, () => {
    for (const register of DOMAINS) register(suite);
  });
}
