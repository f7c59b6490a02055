/** Errors a client caller can see. */
export class RpcCallError extends Error {
  override readonly name = "RpcCallError";
  constructor(
    /** The JSON-RPC error code (-32602, -32001, …). */
    readonly rpcCode: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
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
