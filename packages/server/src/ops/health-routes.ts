import type { Router } from 'express';
import type { Logger } from '@kolejka/spec';
import { sendJson } from '../http/errors.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import type { Store } from '../store/store.js';
import { checkMetricsAccess, type MetricsAccessSettings } from './metrics-access.js';
import type { Metrics } from './metrics.js';

export interface HealthPorts {
  store: Store;
  logger: Logger;
  metrics: Metrics;
  settings: MetricsAccessSettings;
}

/** `/healthz` (the store answers) and `/metrics` (Prometheus text, restricted when set up so). */
export function healthRoutes(ports: HealthPorts): RouteModule {
  return { api: 'ops', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: HealthPorts): void {
  router.get('/healthz', async (_req, res) => {
    try {
      await ports.store.lastEventSeq();
      sendJson(res, 200, { status: 'ok' });
    } catch (error) {
      ports.logger.warn('health check failed', { error: (error as Error).message });
      sendJson(res, 503, { status: 'unavailable', message: 'The store does not answer' });
    }
  });

  router.get('/metrics', async (req, res) => {
    checkMetricsAccess(req, ports.settings);
    const text = await ports.metrics.render(ports.store);
    res.status(200).setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(text);
  });
}

const PATHS: OpenApiPaths = {
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
      security: [{}, { bearer: [] }],
      description:
        'Anonymous unless the server sets a metrics token (then `Authorization: Bearer <it>`) or metrics addresses.',
      responses: {
        '200': { description: 'Prometheus text', content: { 'text/plain': {} } },
        ...doc.errors(403),
      },
    },
  },
};
