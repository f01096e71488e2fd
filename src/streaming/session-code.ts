import type http from 'node:http';
import type { WebSocketServer } from 'ws';

/**
 * The code behind a streaming session (ws, the SPDY framer and its zlib contexts), loaded by the
 * server's first upgrade rather than at start: a node that never execs, attaches or port-forwards
 * does not carry it (~3 MiB of RSS, docs/performance.md).
 */
export interface SessionCode {
  wss: WebSocketServer;
  createWebSocketStream: typeof import('ws').createWebSocketStream;
  servePortForward: typeof import('./port-forward.js').servePortForward;
  serveSpdyCommand: typeof import('./spdy-command.js').serveSpdyCommand;
  serveWebSocketCommand: typeof import('./websocket-command.js').serveWebSocketCommand;
}

/**
 * Loads the session code and makes the WebSocket server. `chosenProtocol` holds the subprotocol
 * the server negotiated for each upgrade request: ws validates offered subprotocols as RFC 7230
 * tokens, which `SPDY/3.1+portforward.k8s.io` is not ('/'), and would answer 400, so the server
 * negotiates, removes the header before ws sees it, and the choice is added to the 101 here.
 */
export async function loadSessionCode(
  chosenProtocol: WeakMap<http.IncomingMessage, string>,
): Promise<SessionCode> {
  const [ws, portForward, spdyCommand, webSocketCommand] = await Promise.all([
    import('ws'),
    import('./port-forward.js'),
    import('./spdy-command.js'),
    import('./websocket-command.js'),
  ]);
  const wss = new ws.WebSocketServer({ noServer: true });
  wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
    const protocol = chosenProtocol.get(req);
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });
  return {
    wss,
    createWebSocketStream: ws.createWebSocketStream,
    servePortForward: portForward.servePortForward,
    serveSpdyCommand: spdyCommand.serveSpdyCommand,
    serveWebSocketCommand: webSocketCommand.serveWebSocketCommand,
  };
}
