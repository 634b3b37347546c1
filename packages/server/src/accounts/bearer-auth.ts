import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { KolejkaError } from '@kolejka/spec';
import { protocolBearerToken } from '../http/websocket-protocols.js';
import type { Store } from '../store/store.js';
import { setPrincipal, type Principal } from './principal.js';
import { sha256Hex } from './tokens.js';

/** The bearer token of a request: undefined without the header, an error when malformed. */
export function bearerTokenOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new KolejkaError(
      'KOLEJKA_UNAUTHORIZED',
      'The Authorization header must be "Bearer <token>"',
    );
  }
  return match[1];
}

/** Looks a token up; KOLEJKA_UNAUTHORIZED when unknown, revoked or its user is gone. */
export async function principalForToken(
  store: Store,
  token: string,
  now: Date,
): Promise<Principal> {
  const record = token.length <= 256 ? await store.useToken(sha256Hex(token), now) : undefined;
  const user = record === undefined ? undefined : await store.getUser(record.username);
  if (record === undefined || user === undefined) {
    throw new KolejkaError('KOLEJKA_UNAUTHORIZED', 'The token is not valid (unknown or revoked)');
  }
  return { username: user.username, roles: user.roles, via: 'token', tokenId: record.id };
}

/**
 * The caller of a WebSocket upgrade: its bearer token is required (nothing else is sent).
 * With `isProtocolTokenAccepted` (endpoints browsers use), a `kolejka.bearer.<token>`
 * subprotocol stands in for the header, which wins when both are sent.
 */
export async function upgradePrincipal(
  req: IncomingMessage,
  store: Store,
  now: Date,
  options: { isProtocolTokenAccepted?: boolean } = {},
): Promise<Principal> {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (match?.[1]) return principalForToken(store, match[1], now);
  const token =
    header === undefined && options.isProtocolTokenAccepted === true
      ? protocolBearerToken(req)
      : undefined;
  if (token === undefined)
    throw new KolejkaError(
      'KOLEJKA_UNAUTHORIZED',
      options.isProtocolTokenAccepted === true
        ? 'Authentication required: send "Authorization: Bearer <token>" with the upgrade, or offer the subprotocols "kolejka.v1, kolejka.bearer.<token>"'
        : 'Authentication required: send "Authorization: Bearer <token>" with the upgrade',
    );
  return principalForToken(store, token, now);
}

/**
 * Sets the principal when the request carries a valid bearer token. A request without
 * one stays anonymous (routes decide); a bad token is refused at once.
 */
export function bearerAuth(store: Store, clock: () => Date): RequestHandler {
  return async (req, res, next) => {
    const token = bearerTokenOf(req);
    if (token !== undefined) setPrincipal(res, await principalForToken(store, token, clock()));
    next();
  };
}
