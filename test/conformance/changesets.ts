/** Conformance cases for changesets. */
import type { Suite } from "./harness.js";

export function changesetsConformance(_s: Suite): void {}
