import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import {
  KolejkaError,
  MAX_MESSAGE_BYTES,
  isKolejkaError,
  noopLogger,
  type Logger,
} from '@kolejka/spec';
import { hasPermission, type Principal } from '../auth/principal.js';
import { principalForToken } from '../auth/bearer.js';
import type { EventsSockets } from '../events/events-socket.js';
import { STATUS_BY_CODE } from '../http/errors.js';
import type { Store } from '../store/store.js';
import type { ForemenRegistry } from './foremen-registry.js';

export interface UpgradeOptions {
  store: Store;
  clock: () => Date;
  foremen: ForemenRegistry;
  events: EventsSockets;
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

async function authenticate(req: IncomingMessage, store: Store, now: Date): Promise<Principal> {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1])
    throw new KolejkaError(
      'KOLEJKA_UNAUTHORIZED',
      'Authentication required: send "Authorization: Bearer <token>" with the upgrade',
    );
  return principalForToken(store, match[1], now);
}

/**
 * The HTTP server's `upgrade` listener: `/api/v1/foreman` (processors and admins) and
 * `/api/v1/events` (anyone signed in) become WebSockets; the token is checked, and a
 * refusal is a plain 401/403 reply, before the upgrade.
 */
export function createUpgradeHandler(
  options: UpgradeOptions,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const logger = options.logger ?? noopLogger;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  return (req, socket, head) => {
    socket.on('error', () => undefined);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    const kind =
      path === '/api/v1/foreman' ? 'foreman' : path === '/api/v1/events' ? 'events' : undefined;
    if (kind === undefined) {
      refuse(socket, new KolejkaError('KOLEJKA_NOT_FOUND', `No WebSocket endpoint at ${path}`));
      return;
    }
    void (async () => {
      try {
        const principal = await authenticate(req, options.store, options.clock());
        if (kind === 'foreman' && !hasPermission(principal, 'task:process'))
          throw new KolejkaError(
            'KOLEJKA_FORBIDDEN',
            `User ${JSON.stringify(principal.username)} is not a processor: only foremen connect here`,
          );
        wss.handleUpgrade(req, socket, head, (ws) => {
          if (kind === 'foreman') options.foremen.accept(ws, principal);
          else options.events.accept(ws, principal);
        });
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
