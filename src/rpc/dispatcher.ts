/**
 * JSON-RPC 2.0 request handling, exactly per the specification: envelopes, batches, notifications,
 * params validation from the method definitions, and the one place where errors become responses.
 * Knows nothing of backends: handlers are given to it.
 */
import { randomBytes } from "node:crypto";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { TSchema } from "@sinclair/typebox";
import { ERROR_CODES, isAgentStateError, type Issue } from "../domain/errors.js";
import type { MethodDef } from "../domain/method.js";
import { exceedsDepth } from "./depth.js";
import {
  INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND, PARSE_ERROR,
  RpcError, errorResponse, invalidRequest, isValidId, type RpcId, type RpcResponse,
} from "./envelope.js";

export interface CallContext {
  readonly connectionId: number;
  /** Send a notification to the calling connection (used by subscriptions). */
  notify(method: string, params: Record<string, unknown>): void;
  /** Runs `listener` when the calling connection closes (subscriptions end, claims are released). */
  onceClosed(listener: () => void): void;
  /** Bytes queued to the calling connection that its peer has not read yet (backpressure). */
  readonly pendingWriteBytes: number;
}

/** Params arrive validated against the method's schema; each handler's exact type is checked where it is written (daemon/handlers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (params: any, ctx: CallContext) => unknown;

export interface DispatchLogger {
  error(message: string, meta: Record<string, unknown>): void;
}

export interface DispatcherOptions {
  maxBatch?: number;
  maxDepth?: number;
  /** Called before each handler runs; throw (e.g. SHUTTING_DOWN) to refuse the call. */
  admit?: (method: string) => void;
  logger: DispatchLogger;
}

interface Route {
  handler: Handler;
  check: TypeCheck<TSchema>;
}

const MAX_ISSUES = 20;
const decoder = new TextDecoder("utf-8", { fatal: true });

export class Dispatcher {
  private readonly routes = new Map<string, Route>();
  private readonly maxBatch: number;
  private readonly maxDepth: number;
  requests = 0;
  errors = 0;

  constructor(defs: readonly MethodDef[], handlers: Record<string, Handler>, private readonly opts: DispatcherOptions) {
    for (const def of defs) {
      const handler = Object.hasOwn(handlers, def.name) ? handlers[def.name] : undefined;
      if (!handler) throw new Error(`no handler for method ${def.name}`);
      this.routes.set(def.name, { handler, check: TypeCompiler.Compile(def.params) });
    }
    for (const name of Object.keys(handlers)) {
      if (!this.routes.has(name)) throw new Error(`handler ${name} has no method definition`);
    }
    this.maxBatch = opts.maxBatch ?? 1000;
    this.maxDepth = opts.maxDepth ?? 256;
  }

  /** Handle one framed line. Resolves to the response text, or undefined when nothing is owed. */
  async handleLine(line: Uint8Array, ctx: CallContext): Promise<string | undefined> {
    let text: string;
    let message: unknown;
    try {
      text = decoder.decode(line);
    } catch {
      return this.reply(errorResponse(null, { code: PARSE_ERROR, message: "Parse error", data: { code: "PARSE_ERROR", reason: "invalid UTF-8" } }));
    }
    if (exceedsDepth(line, this.maxDepth)) {
      return this.reply(errorResponse(null, invalidRequest(`nesting deeper than ${this.maxDepth} levels`).toObject()));
    }
    try {
      message = JSON.parse(text);
    } catch {
      return this.reply(errorResponse(null, { code: PARSE_ERROR, message: "Parse error", data: { code: "PARSE_ERROR", reason: "invalid JSON" } }));
    }
    if (Array.isArray(message)) return this.handleBatch(message, ctx);
    const response = await this.handleOne(message, ctx);
    return response === undefined ? undefined : this.reply(response);
  }

  private async handleBatch(batch: unknown[], ctx: CallContext): Promise<string | undefined> {
    if (batch.length === 0) return this.reply(errorResponse(null, invalidRequest("empty batch").toObject()));
    if (batch.length > this.maxBatch) {
      return this.reply(errorResponse(null, invalidRequest(`batch of ${batch.length} exceeds ${this.maxBatch}`).toObject()));
    }
    const responses = (await Promise.all(batch.map((m) => this.handleOne(m, ctx)))).filter(
      (r): r is RpcResponse => r !== undefined,
    );
    return responses.length === 0 ? undefined : this.reply(responses);
  }

  private async handleOne(message: unknown, ctx: CallContext): Promise<RpcResponse | undefined> {
    this.requests++;
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      return this.fail(null, invalidRequest("a request must be an object"));
    }
    const req = message as Record<string, unknown>;
    const hasId = Object.hasOwn(req, "id");
    const id: RpcId = hasId && isValidId(req.id) ? req.id : null;
    if (req.jsonrpc !== "2.0") return this.fail(id, invalidRequest('"jsonrpc" must be "2.0"'));
    if (typeof req.method !== "string") return this.fail(id, invalidRequest('"method" must be a string'));
    if (hasId && !isValidId(req.id)) return this.fail(null, invalidRequest('"id" must be a string, a number or null'));
    const params = req.params;
    if (params !== undefined && (typeof params !== "object" || params === null)) {
      return this.fail(id, invalidRequest('"params" must be an object'));
    }
    const isNotification = !hasId;
    try {
      const result = await this.call(req.method, params, ctx);
      return isNotification ? undefined : { jsonrpc: "2.0", id, result: result === undefined ? null : result };
    } catch (err) {
      const error = this.toRpcError(err, req.method);
      this.errors++;
      return isNotification ? undefined : errorResponse(id, error.toObject());
    }
  }

  /** Throws (synchronously) when the call is refused; otherwise the handler's result, a promise or not. */
  private call(name: string, params: unknown, ctx: CallContext): unknown {
    const route = this.routes.get(name);
    if (!route) throw new RpcError(METHOD_NOT_FOUND, "Method not found", { code: "METHOD_NOT_FOUND", method: name });
    if (Array.isArray(params)) {
      throw new RpcError(INVALID_PARAMS, "Invalid params", {
        code: "INVALID_PARAMS",
        issues: [{ path: "", message: "params must be an object of named fields; positional params are not supported" }],
      });
    }
    const value = params ?? {};
    if (!route.check.Check(value)) {
      const issues: Issue[] = [];
      for (const e of route.check.Errors(value)) {
        issues.push({ path: e.path, message: issueMessage(e.schema, e.message) });
        if (issues.length >= MAX_ISSUES) break;
      }
      throw new RpcError(INVALID_PARAMS, "Invalid params", { code: "INVALID_PARAMS", issues });
    }
    this.opts.admit?.(name);
    return route.handler(value, ctx);
  }

  private toRpcError(err: unknown, method: string): RpcError {
    if (err instanceof RpcError) return err;
    if (isAgentStateError(err)) {
      return new RpcError(ERROR_CODES[err.code].rpc, err.message, { ...err.details, code: err.code });
    }
    const ref = randomBytes(6).toString("hex");
    this.opts.logger.error("internal error", {
      ref,
      method,
      error: err instanceof Error ? err.stack ?? err.message : String(err),
    });
    return new RpcError(INTERNAL_ERROR, "Internal error", { code: "INTERNAL", ref });
  }

  private fail(id: RpcId, error: RpcError): RpcResponse {
    this.errors++;
    return errorResponse(id, error.toObject());
  }

  private reply(value: RpcResponse | RpcResponse[]): string {
    return JSON.stringify(value);
  }
}

/**
 * TypeBox says "Expected string to match 'agentstate-id' format", which names our registry key,
 * not the rule: a format failure says what the value may hold.
 */
function issueMessage(schema: TSchema, message: string): string {
  if (schema.format === "agentstate-id") return "must be 1–256 UTF-8 bytes with no control characters (such as a newline) and no lone surrogates";
  if (schema.format === "date-time") return "must be an ISO 8601 time, e.g. 2026-05-01T09:00:00.000Z";
  return message;
}
