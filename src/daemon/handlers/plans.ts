/** Plan methods: defaults, limits and lookup by uri applied here, once; storage in the backend. */
import { invalidParams } from "../../domain/errors.js";
import { planIdFromUri, type plansMethods } from "../../domain/plans.js";
import { isValidId } from "../../domain/schema.js";
import { checkSize } from "../limits.js";
import { DEFAULT_LIMIT } from "./conversations.js";
import type { HandlersFor, ServiceContext } from "./types.js";

/** The id named by `plans.get` params: exactly one of id and uri. */
export function planIdOf(p: { id?: string; uri?: string }): string {
  if (p.id !== undefined && p.uri !== undefined) throw invalidParams("give id or uri, not both", "/uri");
  if (p.id !== undefined) return p.id;
  if (p.uri === undefined) throw invalidParams("give id or uri", "/id");
  const id = planIdFromUri(p.uri);
  if (id === undefined || !isValidId(id)) throw invalidParams("not a plan uri: expected agentstate://plans/<id>", "/uri");
  return id;
}

export function plansHandlers({ backend, config, newId }: ServiceContext): HandlersFor<typeof plansMethods> {
  const store = backend.plans;
  const max = config.maxValueBytes;
  return {
    "plans.save": (p) => {
      checkSize("title", p.title, max);
      checkSize("body", p.body, max);
      return store.savePlan({ ...p, id: p.id ?? newId() });
    },
    "plans.get": (p) => store.getPlan(planIdOf(p)),
    "plans.list": (p) => store.listPlans({ ...p, limit: p.limit ?? DEFAULT_LIMIT }),
    "plans.delete": async (p) => {
      await store.deletePlan(p.id, p.expectedVersion);
      return { deleted: true as const };
    },
  };
}
