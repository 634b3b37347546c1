import type { Router } from 'express';
import { KolejkaError, validationError, type Logger, type ValidationIssue } from '@kolejka/spec';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { Store, TokenRecord } from '../store/store.js';
import { clientAddress } from '../http/client-address.js';
import type { LoginThrottle } from './login-throttle.js';
import { verifyPassword } from './passwords.js';
import { isAdmin, requirePrincipal } from './principal.js';
import { issueToken } from './issue-token.js';

export interface TokenRoutePorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  loginThrottle: Pick<LoginThrottle, 'take'>;
}

/** A token as listed: never its secret nor its hash. */
export function tokenView(token: TokenRecord): Record<string, unknown> {
  return {
    id: token.id,
    username: token.username,
    createdAt: token.createdAt.toISOString(),
    ...(token.label === undefined ? {} : { label: token.label }),
    ...(token.lastUsedAt === undefined ? {} : { lastUsedAt: token.lastUsedAt.toISOString() }),
  };
}

const MAX_FIELD = 1024;

function credentials(body: Record<string, unknown>): {
  username: string;
  password: string;
  label?: string;
} {
  const issues: ValidationIssue[] = [];
  const text = (name: string, isRequired: boolean): string | undefined => {
    const value = body[name];
    if (value === undefined && !isRequired) return undefined;
    if (typeof value !== 'string' || value === '') {
      issues.push({ path: `/${name}`, message: 'must be a non-empty string' });
    } else if (value.length > MAX_FIELD) {
      issues.push({ path: `/${name}`, message: `is longer than ${MAX_FIELD} characters` });
    } else return value;
    return undefined;
  };
  const username = text('username', true);
  const password = text('password', true);
  const label = text('label', false);
  if (issues.length > 0 || username === undefined || password === undefined) {
    throw validationError('token request', issues);
  }
  return { username, password, ...(label === undefined ? {} : { label }) };
}

/** Tokens (log in) and who am I. */
export function tokenRoutes(ports: TokenRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: TokenRoutePorts): void {
  router.post('/tokens', async (req, res) => {
    const body = expectObject(await readJson(req, 64 * 1024, 'token request'), 'token request');
    const { username, password, label } = credentials(body);
    ports.loginThrottle.take(clientAddress(req), username);
    const user = await ports.store.getUser(username);
    if (!(await verifyPassword(password, user?.passwordHash)) || user === undefined) {
      ports.logger.info('login refused', { username });
      throw new KolejkaError('KOLEJKA_UNAUTHORIZED', 'Wrong user name or password');
    }
    const { token, secret } = await issueToken(ports.store, user.username, ports.clock(), label);
    ports.logger.info('token created', { username: user.username, tokenId: token.id });
    sendJson(res, 201, { ...tokenView(token), roles: user.roles, token: secret });
  });

  router.get('/tokens', async (req, res) => {
    const principal = requirePrincipal(res);
    const wanted = typeof req.query.username === 'string' ? req.query.username : undefined;
    if (wanted !== undefined && wanted !== principal.username && !isAdmin(principal)) {
      throw new KolejkaError('KOLEJKA_FORBIDDEN', 'Only admins list the tokens of other users');
    }
    const tokens = await ports.store.listTokens(
      isAdmin(principal) && wanted === undefined ? undefined : (wanted ?? principal.username),
    );
    sendJson(res, 200, { items: tokens.map(tokenView) });
  });

  router.delete('/tokens/:id', async (req, res) => {
    const principal = requirePrincipal(res);
    const id = req.params.id;
    const own = await ports.store.listTokens(principal.username);
    const isOwn = own.some((token) => token.id === id);
    if (!(isOwn || isAdmin(principal)) || !(await ports.store.revokeToken(id))) {
      throw new KolejkaError('KOLEJKA_NOT_FOUND', `Token ${JSON.stringify(id)} does not exist`);
    }
    ports.logger.info('token revoked', { tokenId: id, by: principal.username });
    res.status(204).end();
  });

  router.get('/me', (_req, res) => {
    const principal = requirePrincipal(res);
    sendJson(res, 200, {
      username: principal.username,
      roles: principal.roles,
      ...(principal.tokenId === undefined ? {} : { tokenId: principal.tokenId }),
    });
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/tokens': {
    post: {
      tags: ['auth'],
      operationId: 'createToken',
      summary: 'Log in: trade a user name and password for a new API token',
      description:
        'The secret `token` is shown only in this reply (the server keeps its SHA-256). Send it as `Authorization: Bearer <token>`.',
      security: [],
      requestBody: doc.body(doc.ref('TokenRequest')),
      responses: {
        '201': doc.json(doc.ref('NewToken'), 'The new token'),
        ...doc.errors(400, 401, 413, 415, 429),
      },
    },
    get: {
      tags: ['auth'],
      operationId: 'listTokens',
      summary: "The caller's tokens (admins: everybody's, or `username`'s)",
      parameters: [doc.query('username', 'Whose tokens (admins only)', { type: 'string' })],
      responses: {
        '200': doc.json(
          { type: 'object', properties: { items: { type: 'array', items: doc.ref('Token') } } },
          'Tokens (never their secrets)',
        ),
        ...doc.errors(401, 403),
      },
    },
  },
  '/api/v1/tokens/{id}': {
    delete: {
      tags: ['auth'],
      operationId: 'revokeToken',
      summary: 'Revoke a token (own, or any for admins)',
      parameters: [doc.path('id', 'The token id (not the secret)')],
      responses: { '204': doc.empty('Revoked'), ...doc.errors(401, 404) },
    },
  },
  '/api/v1/me': {
    get: {
      tags: ['auth'],
      operationId: 'getMe',
      summary: 'Who the token belongs to',
      responses: { '200': doc.json(doc.ref('Me')), ...doc.errors(401) },
    },
  },
};
