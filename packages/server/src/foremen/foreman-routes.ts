import type { Router } from 'express';
import { KolejkaError, type Logger } from '@kolejka/spec';
import { requirePermission, requirePrincipal } from '../accounts/principal.js';
import { HttpError, sendJson } from '../http/errors.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { Store } from '../store/store.js';
import type { ForemenRegistry } from './foremen-registry.js';
import { foremanView } from './foreman-view.js';

export interface ForemanRoutePorts {
  store: Store;
  logger: Logger;
  foremen: Pick<ForemenRegistry, 'drain' | 'local'>;
}

const FOREMAN_ID_PATTERN = '^[A-Za-z0-9._:@-]+$';

function foremanNotFound(id: string): KolejkaError {
  return new KolejkaError('KOLEJKA_NOT_FOUND', `No foreman ${JSON.stringify(id)}`, {
    details: { foremanId: id },
  });
}

/** The foremen: the push channel's address, the listing, draining. */
export function foremanRoutes(ports: ForemanRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: ForemanRoutePorts): void {
  router.get('/foreman', (_req, res) => {
    requirePrincipal(res);
    throw new HttpError(
      426,
      'KOLEJKA_VALIDATION',
      'The foreman channel is a WebSocket: connect with an upgrade (Connection: Upgrade, Upgrade: websocket)',
      { headers: { Upgrade: 'websocket' } },
    );
  });

  router.get('/foremen', async (_req, res) => {
    requirePermission(res, 'foreman:manage', 'list foremen');
    const records = await ports.store.listForemen();
    const items = await Promise.all(
      records.map((record) => foremanView(ports.store, record, ports.foremen.local(record.id))),
    );
    sendJson(res, 200, { items });
  });

  for (const [action, isDraining] of [
    ['drain', true],
    ['undrain', false],
  ] as const) {
    router.post(`/foremen/:id/${action}`, async (req, res) => {
      const principal = requirePermission(res, 'foreman:manage', `${action} foremen`);
      const id = req.params.id;
      const record = await ports.foremen.drain(id, isDraining);
      if (record === undefined) throw foremanNotFound(id);
      ports.logger.info(isDraining ? 'foreman drained' : 'foreman undrained', {
        foreman: id,
        by: principal.username,
      });
      sendJson(res, 200, await foremanView(ports.store, record, ports.foremen.local(record.id)));
    });
  }
}

const PATHS: OpenApiPaths = {
  '/api/v1/foreman': {
    get: {
      tags: ['foremen'],
      operationId: 'foremanChannel',
      summary: 'The push channel of a foreman (WebSocket; processors and admins)',
      description:
        'Upgrade to a WebSocket with a bearer token of a processor (or admin). JSON text messages with a `type` (schemas: @kolejka/spec protocol): the foreman sends `foreman:hello`, `foreman:heartbeat`, `task:accepted`, `task:rejected`, `task:started`, `task:finished`, `task:failed`; the server sends `server:welcome`, `task:assign`, `task:cancel`, `foreman:drain`, `result:stored` (protocol 3: a result from `task:finished` is stored) and `error` (code, message, details with JSON paths). A peer that keeps sending invalid messages is disconnected (close 1008). Without an upgrade: 426.',
      responses: {
        '101': doc.empty('Switching to the WebSocket protocol'),
        ...doc.errors(401, 403, 426),
      },
    },
  },
  '/api/v1/foremen': {
    get: {
      tags: ['foremen'],
      operationId: 'listForemen',
      summary: 'List foremen with their capacity, free capacity and tasks (managers, admins)',
      responses: { '200': doc.json(doc.ref('ForemanList')), ...doc.errors(401, 403) },
    },
  },
  '/api/v1/foremen/{id}/drain': {
    parameters: [doc.path('id', 'Foreman id', FOREMAN_ID_PATTERN)],
    post: {
      tags: ['foremen'],
      operationId: 'drainForeman',
      summary: 'Drain a foreman: no new work, running tasks finish (managers, admins)',
      responses: { '200': doc.json(doc.ref('Foreman')), ...doc.errors(401, 403, 404) },
    },
  },
  '/api/v1/foremen/{id}/undrain': {
    parameters: [doc.path('id', 'Foreman id', FOREMAN_ID_PATTERN)],
    post: {
      tags: ['foremen'],
      operationId: 'undrainForeman',
      summary: 'Give a drained foreman work again (managers, admins)',
      responses: { '200': doc.json(doc.ref('Foreman')), ...doc.errors(401, 403, 404) },
    },
  },
};
