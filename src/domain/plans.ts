/** plans (SPEC §3). Declarations to come. */
import { table } from "./method.js";

export const plansMethods = table();
