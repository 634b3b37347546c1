import type { IncomingMessage } from 'node:http';
import { KolejkaError } from '@kolejka/spec';

/** The subprotocol of Kolejka's WebSockets; the server echoes it when a client offers it. */
export const KOLEJKA_WS_PROTOCOL = 'kolejka.v1';

/**
 * Browsers cannot set `Authorization` on a WebSocket, so they offer the token as a second
 * subprotocol, `kolejka.bearer.<token>`, beside `kolejka.v1` (the one the server echoes).
 */
export const BEARER_PROTOCOL_PREFIX = 'kolejka.bearer.';

/** The subprotocols a request offers (`Sec-WebSocket-Protocol`, comma-separated, maybe repeated). */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  return header
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * The token offered as `kolejka.bearer.<token>`, or undefined when none is. Offering it
 * without `kolejka.v1` (which the server must echo for the browser to open the socket) or
 * more than once is refused, so a client learns its mistake from the status.
 */
export function protocolBearerToken(req: IncomingMessage): string | undefined {
  const offered = offeredProtocols(req);
  const tokens = offered
    .filter((protocol) => protocol.startsWith(BEARER_PROTOCOL_PREFIX))
    .map((protocol) => protocol.slice(BEARER_PROTOCOL_PREFIX.length));
  if (tokens.length === 0) return undefined;
  if (tokens.length > 1 || tokens[0] === '')
    throw new KolejkaError(
      'KOLEJKA_UNAUTHORIZED',
      `Offer exactly one "${BEARER_PROTOCOL_PREFIX}<token>" subprotocol`,
    );
  if (!offered.includes(KOLEJKA_WS_PROTOCOL))
    throw new KolejkaError(
      'KOLEJKA_VALIDATION',
      `A "${BEARER_PROTOCOL_PREFIX}<token>" subprotocol needs "${KOLEJKA_WS_PROTOCOL}" offered beside it (the one the server answers with)`,
    );
  return tokens[0];
}

/**
 * `ws`'s `handleProtocols`: the server answers with exactly one offered protocol, and only
 * `kolejka.v1` (never echoing the token); without it, no protocol (the `ws` default would
 * echo the first one offered).
 */
export function selectProtocol(protocols: ReadonlySet<string>): string | false {
  return protocols.has(KOLEJKA_WS_PROTOCOL) ? KOLEJKA_WS_PROTOCOL : false;
}
