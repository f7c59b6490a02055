/** The OpenRPC document for rpc.discover, generated from the method definitions. */
import type { TObject, TSchema } from "@sinclair/typebox";
import { ERROR_CODES } from "../domain/errors.js";
import type { MethodDef } from "../domain/method.js";

const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema));

export function openRpcDocument(defs: readonly MethodDef[], version: string): Record<string, unknown> {
  return {
    openrpc: "1.3.2",
    info: {
      title: "agentstate",
      version,
      description: "JSON-RPC 2.0 over a Unix socket, one message per line. Params are by name.",
    },
    methods: defs.map((d) => {
      const params = d.params as unknown as TObject;
      const required = new Set(params.required ?? []);
      return {
        name: d.name,
        summary: d.summary,
        paramStructure: "by-name",
        params: Object.entries(params.properties ?? {}).map(([name, schema]) => ({
          name,
          required: required.has(name),
          schema: plain(schema),
        })),
        result: { name: "result", schema: plain(d.result) },
      };
    }),
    components: {
      errors: Object.fromEntries(
        Object.entries(ERROR_CODES).map(([code, e]) => [code, { code: e.rpc, message: e.meaning, data: { code } }]),
      ),
    },
  };
}
