/** Conformance cases for history. */
import type { Suite } from "./harness.js";

export function historyConformance(_s: Suite): void {}
