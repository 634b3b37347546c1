import { sendJson } from '../http/errors.js';
import { doc, type RouteModule } from '../api/route-module.js';

/** `/healthz` (the store answers) and `/metrics` (Prometheus text). Both anonymous. */
export const healthRoutes: RouteModule = {
  api: 'ops',
  register(router, ctx) {
    router.get('/healthz', async (_req, res) => {
      try {
        await ctx.store.lastEventSeq();
        sendJson(res, 200, { status: 'ok' });
      } catch (error) {
        ctx.logger.warn('health check failed', { error: (error as Error).message });
        sendJson(res, 503, { status: 'unavailable', message: 'The store does not answer' });
      }
    });

    router.get('/metrics', async (_req, res) => {
      const text = await ctx.metrics.render(ctx.store);
      res.status(200).setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
      res.end(text);
    });
  },
  paths: {
    '/healthz': {
      get: {
        tags: ['operations'],
        operationId: 'healthz',
        summary: 'Liveness and readiness: 200 when the store answers, 503 otherwise',
        security: [],
        responses: {
          '200': doc.json({ type: 'object' }, 'Healthy'),
          '503': doc.json({ type: 'object' }, 'The store does not answer'),
        },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        operationId: 'metrics',
        summary:
          'Prometheus metrics: kolejka_tasks{state}, kolejka_blobs, kolejka_blob_bytes, kolejka_http_request_duration_seconds{method,route,status}',
        security: [],
        responses: { '200': { description: 'Prometheus text', content: { 'text/plain': {} } } },
      },
    },
  },
};
