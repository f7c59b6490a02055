/**
 * Application error codes: the one table. Each code has its JSON-RPC error number (in the
 * -32000…-32099 range reserved for implementations) and a short meaning used in docs.
 * Every backend raises these and nothing else for conditions a caller can cause.
 */
export const ERROR_CODES = {
  INVALID_PARAMS: { rpc: -32602, meaning: "params fail the method's schema or a value is not acceptable (bad cron, unknown time zone, …); data.issues names each bad field" },
  NOT_FOUND: { rpc: -32001, meaning: "the record does not exist" },
  CONFLICT: { rpc: -32002, meaning: "a version, sequence or id check failed; nothing was changed" },
  TOO_LARGE: { rpc: -32003, meaning: "a value exceeds a configured size limit; nothing was stored" },
  BACKEND_UNAVAILABLE: { rpc: -32004, meaning: "the storage backend cannot be reached right now; a write answered with this did not happen" },
  SHUTTING_DOWN: { rpc: -32005, meaning: "the daemon is stopping and takes no new requests" },
  INVALID_STATE: { rpc: -32006, meaning: "the record is not in a state that allows this operation" },
  UNSUPPORTED: { rpc: -32007, meaning: "this backend or build does not support the operation" },
  OUTCOME_UNKNOWN: {
    rpc: -32008,
    meaning: "the write reached the storage server but its reply was lost (the connection died after the commit was sent): it may or may not have happened; retry with the same idempotencyKey, or read back, to settle it",
  },
  DATA_DAMAGED: {
    rpc: -32009,
    meaning: "a stored file failed a check when it was read (a damaged or mis-edited file): nothing was changed; the message names the file and line to repair",
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type that crosses layers. `details` is safe to send to clients. */
export class AgentStateError extends Error {
  override readonly name = "AgentStateError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const isAgentStateError = (e: unknown): e is AgentStateError => e instanceof AgentStateError;
const hasCode = (code: ErrorCode) => (e: unknown): e is AgentStateError =>
  isAgentStateError(e) && e.code === code;
export const isNotFound = hasCode("NOT_FOUND");
export const isConflict = hasCode("CONFLICT");
export const isTooLarge = hasCode("TOO_LARGE");
export const isBackendUnavailable = hasCode("BACKEND_UNAVAILABLE");

export const notFound = (kind: string, id: string | number) =>
  new AgentStateError("NOT_FOUND", `${kind} ${JSON.stringify(String(id))} does not exist`, { kind, id });
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AgentStateError("CONFLICT", message, details);
export const tooLarge = (what: string, size: number, limit: number) =>
  new AgentStateError("TOO_LARGE", `${what} is ${size} bytes; the limit is ${limit}`, { what, size, limit });
export interface Issue {
  /** JSON Pointer into params, e.g. "/schedule/cron". */
  path: string;
  message: string;
}
export const invalidParams = (message: string, path = "") =>
  new AgentStateError("INVALID_PARAMS", message, { issues: [{ path, message }] satisfies Issue[] });
export const invalidState = (message: string, details?: Record<string, unknown>) =>
  new AgentStateError("INVALID_STATE", message, details);
export const backendUnavailable = (message: string) => new AgentStateError("BACKEND_UNAVAILABLE", message);
export const dataDamaged = (message: string) => new AgentStateError("DATA_DAMAGED", message);
export const isOutcomeUnknown = hasCode("OUTCOME_UNKNOWN");
/** Only when the write may have been applied: its commit (or atomic script) was sent and no reply came. */
export const outcomeUnknown = (message: string) =>
  new AgentStateError("OUTCOME_UNKNOWN", `${message}; the write may or may not have been stored: retry with the same idempotencyKey, or read back`);
