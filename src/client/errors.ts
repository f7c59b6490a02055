/** Errors a client caller can see. */
export class RpcCallError extends Error {
  override readonly name = "RpcCallError";
  /** The server's own message, before the method name and field issues were added. */
  readonly serverMessage: string;
  constructor(
    /** The JSON-RPC error code (-32602, -32001, …). */
    readonly rpcCode: number,
    message: string,
    readonly data?: Record<string, unknown>,
    /** The method called, named in the message of a -32601. */
    readonly method?: string,
  ) {
    super(describe(rpcCode, message, data, method));
    this.serverMessage = message;
  }
  /** The application code (NOT_FOUND, CONFLICT, INVALID_PARAMS, …) from data.code. */
  get code(): string | undefined {
    return typeof this.data?.code === "string" ? this.data.code : undefined;
  }
}

/** No daemon answers on the socket. */
export class DaemonUnreachableError extends Error {
  override readonly name = "DaemonUnreachableError";
  constructor(
    readonly socketPath: string,
    override readonly cause?: unknown,
  ) {
    super(`no agentstate daemon answers on ${socketPath}`);
  }
}

export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} got no answer within ${timeoutMs} ms`);
  }
}

/** The connection closed before the answer came; the call may or may not have taken effect. */
export class ConnectionLostError extends Error {
  override readonly name = "ConnectionLostError";
  constructor(readonly method: string) {
    super(`connection to the daemon closed while ${method} was in flight`);
  }
}

export interface RpcIssue {
  path: string;
  message: string;
}

/** data.issues when it has the documented shape. */
export function rpcIssues(data: Record<string, unknown> | undefined): RpcIssue[] {
  const issues = data?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter((i): i is RpcIssue => typeof (i as RpcIssue)?.message === "string").map((i) => ({ path: String(i.path ?? ""), message: i.message }));
}

/**
 * "Invalid params: /limit: Expected integer to be greater or equal to 1": the field issues belong in
 * the message a caller logs, not only in .data. An issue that repeats the message is not added again.
 */
function describe(rpcCode: number, message: string, data: Record<string, unknown> | undefined, method: string | undefined): string {
  if (rpcCode === -32601 && method !== undefined && !message.includes(method)) return `${message}: ${method}`;
  const extra = rpcIssues(data).filter((i) => i.message !== message).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  return extra.length === 0 ? message : `${message}: ${extra.join("; ")}`;
}
