import type { Logger } from 'pino';

/**
 * What every CRI handler receives besides its request: a signal that fires when the client
 * cancels or its deadline passes (pass it down to every engine call), and a logger already
 * bound to the RPC name.
 */
export interface CallContext {
  readonly rpc: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/** A CRI handler: validate -> act -> convert, throwing CriError on failure. */
export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/** A server-streaming CRI handler: `send` resolves when the client has room for more. */
export type StreamHandler<Req, Res> = (
  request: Req,
  send: (message: Res) => Promise<void>,
  ctx: CallContext,
) => Promise<void>;
