import type { Request, Response, Router } from 'express';
import { dumpLimits, type Logger } from '@kolejka/spec';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import { verifyPassword } from '../accounts/passwords.js';
import { requirePrincipal } from '../accounts/principal.js';
import { endSession, openSession } from '../accounts/sessions.js';
import { parseJsonBody, readBody } from '../http/body.js';
import { clientAddress } from '../http/client-address.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { ServerSettings } from '../server-settings.js';
import type { Store } from '../store/store.js';
import { issueCsrfCookie } from './compat-auth.js';
import { failure, sendOk } from './envelope.js';

export interface CompatSessionPorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  settings: Pick<ServerSettings, 'sessionMaxAgeMs' | 'maxLimits'>;
  loginThrottle: Pick<LoginThrottle, 'take'>;
}

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

/** `/`, `/login/`, `/logout/`, `/settings/` of the original. */
export function compatSessionRoutes(ports: CompatSessionPorts): RouteModule {
  return { api: 'compat', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: CompatSessionPorts): void {
  router.get('/', (_req, res) => {
    res.status(200).type('text/html; charset=utf-8').send('INDEX');
  });

  router.get('/login/', (_req, res) => sendOk(res));

  router.post('/login/', async (req, res) => {
    const { username, password } = await loginFields(req);
    ports.loginThrottle.take(clientAddress(req), username);
    const user = await ports.store.getUser(username);
    if (!(await verifyPassword(password, user?.passwordHash)) || user === undefined) {
      ports.logger.info('login refused', { username, api: 'compat' });
      throw failure('Wrong user name or password');
    }
    await endSession(ports, req, res);
    await openSession(ports, req, res, {
      username: user.username,
      maxAgeMs: ports.settings.sessionMaxAgeMs,
    });
    // Django rotates the CSRF token at login; the client reads it from its cookie jar.
    issueCsrfCookie(req, res);
    ports.logger.info('session opened', { username: user.username });
    sendOk(res);
  });

  const logout = async (req: Request, res: Response): Promise<void> => {
    await endSession(ports, req, res);
    sendOk(res);
  };
  router.get('/logout/', logout);
  router.post('/logout/', logout);

  router.get('/settings/', (_req, res) => {
    requirePrincipal(res);
    sendOk(res, { blob_hash_algorithm: 'sha256', limits: dumpLimits(ports.settings.maxLimits) });
  });
}

const PATHS: OpenApiPaths = {
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
      responses: {
        '200': doc.json(doc.ref('CompatEnvelope')),
        '403': doc.empty('CSRF'),
        '429': doc.json(doc.ref('CompatEnvelope'), 'Too many attempts (Retry-After)'),
      },
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
};
