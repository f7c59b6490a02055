/** JSON-RPC 2.0 envelopes and the standard error codes. */
export type RpcId = string | number | null;

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcResponse {
  jsonrpc: "2.0";
  id: RpcId;
  result?: unknown;
  error?: RpcErrorObject;
}

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;

/** An error already in JSON-RPC terms. Anything else thrown by a handler is mapped in one place. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
  toObject(): RpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

export const errorResponse = (id: RpcId, error: RpcErrorObject): RpcResponse => ({ jsonrpc: "2.0", id, error });
export const invalidRequest = (reason: string) =>
  new RpcError(INVALID_REQUEST, "Invalid Request", { code: "INVALID_REQUEST", reason });

export const isValidId = (id: unknown): id is RpcId =>
  id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
