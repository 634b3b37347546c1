import { hasPermission, requirePrincipal } from '../../auth/principal.js';
import { queueStats } from '../../domain/queue-stats.js';
import { sendJson } from '../../http/errors.js';
import { doc, type RouteModule } from '../route-module.js';

/** Queue statistics. */
export const queueRoutes: RouteModule = {
  api: 'v1',
  register(router, ctx) {
    router.get('/queue/stats', async (_req, res) => {
      const principal = requirePrincipal(res);
      const stats = await queueStats(ctx);
      sendJson(res, 200, {
        tasks: stats.byState,
        total: stats.total,
        // Who holds what is operational detail: only for roles that read everything.
        ...(hasPermission(principal, 'task:read-any') ? { assignees: stats.assignees } : {}),
      });
    });
  },
  paths: {
    '/api/v1/queue/stats': {
      get: {
        tags: ['queue'],
        operationId: 'getQueueStats',
        summary: 'Task counts by state (and per assignee, for inspectors, managers, admins)',
        responses: { '200': doc.json(doc.ref('QueueStats')), ...doc.errors(401) },
      },
    },
  },
};
