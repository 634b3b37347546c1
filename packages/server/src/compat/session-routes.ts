import type { Request, Response } from 'express';
import { dumpLimits } from '@kolejka/spec';
import type { AppContext } from '../app-context.js';
import { verifyPassword } from '../auth/passwords.js';
import { requirePrincipal } from '../auth/principal.js';
import { newCookieSecret, sha256Hex } from '../auth/tokens.js';
import { parseJsonBody, readBody } from '../http/body.js';
import { clearCookie, parseCookies } from '../http/cookies.js';
import { doc, type RouteModule } from '../api/route-module.js';
import { failure, sendOk } from './envelope.js';
import { SESSION_COOKIE, issueCsrfCookie, setSessionCookie } from './session-auth.js';

const MAX_LOGIN_BYTES = 64 * 1024;

/** Login fields from a form (what the original client sends) or, for convenience, JSON. */
async function loginFields(req: Request): Promise<{ username: string; password: string }> {
  const body = await readBody(req, MAX_LOGIN_BYTES, 'login form');
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  let fields: Record<string, unknown>;
  if (type === 'application/json') {
    const parsed = parseJsonBody(body, 'login');
    fields =
      parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } else {
    fields = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }
  const { username, password } = fields;
  if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
    throw failure('Send the form fields username and password');
  }
  return { username, password };
}

async function endSession(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const value = parseCookies(req).get(SESSION_COOKIE);
  if (value !== undefined && value !== '' && value.length <= 128)
    await ctx.store.deleteSession(sha256Hex(value));
  clearCookie(res, SESSION_COOKIE);
}

/** `/`, `/login/`, `/logout/`, `/settings/` of the original. */
export const sessionRoutes: RouteModule = {
  api: 'compat',
  register(router, ctx) {
    router.get('/', (_req, res) => {
      res.status(200).type('text/html; charset=utf-8').send('INDEX');
    });

    router.get('/login/', (_req, res) => sendOk(res));

    router.post('/login/', async (req, res) => {
      const { username, password } = await loginFields(req);
      const user = await ctx.store.getUser(username);
      if (!(await verifyPassword(password, user?.passwordHash)) || user === undefined) {
        ctx.logger.info('login refused', { username, api: 'compat' });
        throw failure('Wrong user name or password');
      }
      await endSession(ctx, req, res);
      const value = newCookieSecret();
      const now = ctx.clock();
      await ctx.store.createSession({
        keyHash: sha256Hex(value),
        username: user.username,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ctx.settings.sessionMaxAgeMs),
      });
      setSessionCookie(req, res, value, ctx.settings.sessionMaxAgeMs);
      // Django rotates the CSRF token at login; the client reads it from its cookie jar.
      issueCsrfCookie(req, res);
      ctx.logger.info('session opened', { username: user.username });
      sendOk(res);
    });

    const logout = async (req: Request, res: Response): Promise<void> => {
      await endSession(ctx, req, res);
      sendOk(res);
    };
    router.get('/logout/', logout);
    router.post('/logout/', logout);

    router.get('/settings/', (_req, res) => {
      requirePrincipal(res);
      sendOk(res, { blob_hash_algorithm: 'sha256', limits: dumpLimits(ctx.settings.maxLimits) });
    });
  },
  paths: {
    '/': {
      get: {
        tags: ['compat'],
        operationId: 'compatIndex',
        summary: 'Original API: the text INDEX; sets the csrftoken cookie',
        security: [],
        responses: { '200': { description: 'INDEX', content: { 'text/html': {} } } },
      },
    },
    '/login/': {
      get: {
        tags: ['compat'],
        operationId: 'compatLoginForm',
        summary: 'Original API: {"status": "OK"} and the csrftoken cookie',
        security: [],
        responses: { '200': doc.json(doc.ref('CompatEnvelope')) },
      },
      post: {
        tags: ['compat'],
        operationId: 'compatLogin',
        summary:
          'Original API: form-encoded username and password → sessionid cookie (FAIL on HTTP 200 when wrong)',
        security: [{ csrf: [] }],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: { username: { type: 'string' }, password: { type: 'string' } },
              },
            },
          },
        },
        responses: { '200': doc.json(doc.ref('CompatEnvelope')), '403': doc.empty('CSRF') },
      },
    },
    '/logout/': {
      get: {
        tags: ['compat'],
        operationId: 'compatLogout',
        summary: 'Original API: ends the session',
        security: [],
        responses: { '200': doc.json(doc.ref('CompatEnvelope')) },
      },
      post: {
        tags: ['compat'],
        operationId: 'compatLogoutPost',
        summary: 'Original API: ends the session',
        security: [{ csrf: [] }],
        responses: { '200': doc.json(doc.ref('CompatEnvelope')), '403': doc.empty('CSRF') },
      },
    },
    '/settings/': {
      get: {
        tags: ['compat'],
        operationId: 'compatSettings',
        summary: 'Original API: blob_hash_algorithm and the server maximum limits',
        security: [{ session: [] }],
        responses: {
          '200': doc.json(doc.ref('CompatEnvelope')),
          '403': doc.empty('Not logged in'),
        },
      },
    },
  },
};
