/**
 * How an adapter reaches the daemon: a client it was given (never closed by the adapter) or one it
 * opens itself on first use (closed by close()). Connecting is lazy because framework objects are
 * built synchronously; a failed connect is forgotten, so the next call tries again.
 */
import { connect, type Client } from "../client/index.js";

export interface ClientOptions {
  /** Socket path of the daemon; default: the client library's resolution (AGENTSTATE_SOCKET, config, default path). */
  socket?: string;
  /** An existing client. The adapter uses it and leaves closing it to its owner. */
  client?: Client;
}

export class ClientHandle {
  private opened: Promise<Client> | undefined;

  constructor(private readonly options: ClientOptions) {
    if (options.client && options.socket !== undefined) throw new TypeError("give socket or client, not both");
  }

  get(): Promise<Client> {
    if (this.options.client) return Promise.resolve(this.options.client);
    this.opened ??= connect({ socket: this.options.socket }).catch((err: unknown) => {
      this.opened = undefined;
      throw err;
    });
    return this.opened;
  }

  /** Closes the client this handle opened, if any; a given client stays open. Idempotent. */
  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    const client = await opened?.catch(() => undefined);
    client?.close();
  }
}
