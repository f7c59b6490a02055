/** Conformance cases for jobs. */
import type { Suite } from "./harness.js";

export function jobsConformance(_s: Suite): void {}
