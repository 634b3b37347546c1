import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  KolejkaError,
  MAX_MESSAGE_BYTES,
  isKolejkaError,
  noopLogger,
  type Logger,
} from '@kolejka/spec';
import { STATUS_BY_CODE } from './errors.js';
import { selectProtocol } from './websocket-protocols.js';

/**
 * One WebSocket endpoint: checks the upgrade request (throwing a KolejkaError refuses it
 * with that error's status) and returns what takes the socket once upgraded.
 */
export type UpgradeEndpoint = (req: IncomingMessage) => Promise<(ws: WebSocket) => void>;

export interface UpgradeOptions {
  /** Endpoints by path (`/api/v1/foreman`); a trailing slash of the request is ignored. */
  endpoints: Readonly<Record<string, UpgradeEndpoint>>;
  logger?: Logger;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers an upgrade request with a plain HTTP error (the API's `{error}` body) and hangs up. */
function refuse(socket: Duplex, error: KolejkaError): void {
  const status = STATUS_BY_CODE[error.code];
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      (status === 401 ? 'WWW-Authenticate: Bearer realm="kolejka"\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * The HTTP server's `upgrade` listener: a request for one of the endpoints becomes a
 * WebSocket once its endpoint accepts it; a refusal is a plain HTTP reply, before the upgrade.
 */
export function createUpgradeHandler(
  options: UpgradeOptions,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const logger = options.logger ?? noopLogger;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: selectProtocol,
  });
  return (req, socket, head) => {
    socket.on('error', () => undefined);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    const endpoint = Object.hasOwn(options.endpoints, path) ? options.endpoints[path] : undefined;
    if (endpoint === undefined) {
      refuse(socket, new KolejkaError('KOLEJKA_NOT_FOUND', `No WebSocket endpoint at ${path}`));
      return;
    }
    void (async () => {
      try {
        const accept = await endpoint(req);
        wss.handleUpgrade(req, socket, head, accept);
      } catch (error) {
        if (!isKolejkaError(error)) logger.error('upgrade failed', { error: String(error) });
        refuse(
          socket,
          isKolejkaError(error)
            ? error
            : new KolejkaError('KOLEJKA_INTERNAL', 'Internal error', { cause: error }),
        );
      }
    })();
  };
}
