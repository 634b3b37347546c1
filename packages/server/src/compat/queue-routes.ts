import type { Router } from 'express';
import { parseLimits, schemaIssues, validationError, type ValidationIssue } from '@kolejka/spec';
import { requirePermission, requirePrincipal } from '../accounts/principal.js';
import { parseJsonBody, readBody } from '../http/body.js';
import { doc, type OpenApiPaths, type RouteModule } from '../http/route-module.js';
import { dequeueTasks, type DequeuePorts, type DequeueRequest } from '../scheduling/dequeue.js';
import type { ServerSettings } from '../server-settings.js';
import { TERMINAL_TASK_STATES } from '../store/store.js';
import { queueStats } from '../tasks/queue-stats.js';
import { sendOk } from './envelope.js';

export interface CompatQueuePorts extends DequeuePorts {
  settings: DequeuePorts['settings'] & Pick<ServerSettings, 'maxJsonBytes'>;
}

export const MAX_CONCURRENCY = 1000;

/** The original foreman's body: `{"concurency": n, "limits": {...}, "tags": [...]}`. */
export function parseDequeueRequest(json: unknown): DequeueRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw validationError('dequeue request', [{ path: '', message: 'must be a JSON object' }]);
  }
  const body = json as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const concurrency = body.concurency ?? 1;
  if (!Number.isInteger(concurrency) || (concurrency as number) < 1) {
    issues.push({ path: '/concurency', message: 'must be a whole number, 1 or more' });
  }
  issues.push(
    ...schemaIssues('limits', body.limits ?? {}).map((issue) => ({
      ...issue,
      path: `/limits${issue.path}`,
    })),
  );
  const tags = body.tags ?? [];
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) {
    issues.push({ path: '/tags', message: 'must be a list of strings' });
  }
  if (issues.length > 0) throw validationError('dequeue request', issues);
  return {
    concurrency: Math.min(concurrency as number, MAX_CONCURRENCY),
    capacity: parseLimits(body.limits ?? {}),
    tags: tags as string[],
  };
}

/** `/queue/dequeue/` and `/queue/stats/` of the original. */
export function compatQueueRoutes(ports: CompatQueuePorts): RouteModule {
  return { api: 'compat', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: CompatQueuePorts): void {
  router.post('/queue/dequeue/', async (req, res) => {
    const principal = requirePermission(res, 'task:process', 'take tasks');
    const json = parseJsonBody(
      await readBody(req, ports.settings.maxJsonBytes, 'dequeue request'),
      'dequeue request',
    );
    const tasks = await dequeueTasks(ports, principal, parseDequeueRequest(json));
    sendOk(res, { tasks: tasks.map((task) => task.spec) });
  });

  router.get('/queue/stats/', async (_req, res) => {
    requirePrincipal(res);
    const { byState, total, assignees } = await queueStats(ports);
    const resolved = TERMINAL_TASK_STATES.reduce((sum, state) => sum + byState[state], 0);
    const held = byState.assigned + byState.running;
    sendOk(res, {
      task_count: total,
      task_resolved_count: resolved,
      task_unresolved_count: total - resolved,
      task_unassigned_count: total - resolved - held,
      task_assigned_count: held,
      task_assignees: assignees,
    });
  });
}

const PATHS: OpenApiPaths = {
  '/queue/dequeue/': {
    post: {
      tags: ['compat'],
      operationId: 'compatDequeue',
      summary:
        'Original API: claim up to `concurency` fitting tasks (processors); raw JSON {"concurency", "limits", "tags"}',
      security: [{ session: [] }],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: doc.ref('CompatDequeueRequest') } },
      },
      responses: {
        '200': doc.json(doc.ref('CompatEnvelope')),
        '403': doc.empty('Not a processor'),
      },
    },
  },
  '/queue/stats/': {
    get: {
      tags: ['compat'],
      operationId: 'compatQueueStats',
      summary: 'Original API: task counts and tasks per assignee',
      security: [{ session: [] }],
      responses: {
        '200': doc.json(doc.ref('CompatEnvelope')),
        '403': doc.empty('Not logged in'),
      },
    },
  },
};
