import type { Router } from 'express';
import { hasPermission, requirePrincipal } from '../accounts/principal.js';
import { sendJson } from '../http/errors.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { Store } from '../store/store.js';
import { queueStats } from './queue-stats.js';

/** Queue statistics. */
export function queueRoutes(ports: { store: Store }): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: { store: Store }): void {
  router.get('/queue/stats', async (_req, res) => {
    const principal = requirePrincipal(res);
    const stats = await queueStats(ports);
    sendJson(res, 200, {
      tasks: stats.byState,
      total: stats.total,
      // Who holds what is operational detail: only for roles that read everything.
      ...(hasPermission(principal, 'task:read-any') ? { assignees: stats.assignees } : {}),
    });
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/queue/stats': {
    get: {
      tags: ['queue'],
      operationId: 'getQueueStats',
      summary: 'Task counts by state (and per assignee, for inspectors, managers, admins)',
      responses: { '200': doc.json(doc.ref('QueueStats')), ...doc.errors(401) },
    },
  },
};
