/**
 * Each RPC method is declared once: name, params schema, result schema, summary. The server
 * validates with it, the client is typed from it, and rpc.discover prints it.
 */
import type { Static, TSchema } from "@sinclair/typebox";

export interface MethodDef<N extends string = string, P extends TSchema = TSchema, R extends TSchema = TSchema> {
  readonly name: N;
  readonly summary: string;
  readonly params: P;
  readonly result: R;
  /** Error codes (see errors.ts) this method can answer with besides generic ones. */
  readonly errors?: readonly string[];
}

export const method = <N extends string, P extends TSchema, R extends TSchema>(
  def: MethodDef<N, P, R>,
): MethodDef<N, P, R> => def;

/**
 * Turn defs into a name-keyed record, keeping each def's exact type. The constraint is `unknown[]`
 * on purpose: a `MethodDef[]` constraint would give each `method()` call a contextual return type
 * that widens its name to `string`.
 */
export type MethodTable<T extends readonly unknown[]> = {
  [D in T[number] as D extends MethodDef ? D["name"] : never]: D;
};

export const table = <const T extends readonly unknown[]>(...defs: T): MethodTable<T> =>
  Object.fromEntries((defs as readonly MethodDef[]).map((d) => [d.name, d])) as MethodTable<T>;

export type ParamsOf<D extends MethodDef> = Static<D["params"]>;
export type ResultOf<D extends MethodDef> = Static<D["result"]>;
