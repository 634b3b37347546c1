import type { Router } from 'express';
import { KolejkaError, validationError } from '@kolejka/spec';
import { hasPermission, requirePermission, requirePrincipal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import { withIssuesUnder } from '../http/issues.js';
import {
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import { parsePriority, type TaskRoutePorts } from '../tasks/task-routes.js';
import { submitTask } from '../tasks/task-submission.js';
import { taskView } from '../tasks/task-view.js';
import { visibleTask } from '../tasks/task-access.js';
import { parseDependencyRequest } from './dependency-request.js';
import { linkedView } from './links-view.js';
import {
  DEFAULT_GRAPH_DEPTH,
  MAX_GRAPH_DEPTH,
  MAX_GRAPH_NODES,
  readTaskGraph,
} from './task-graph.js';

/** Continuations (a task attached to an existing one) and the graph of a task. */
export function dependencyRoutes(ports: TaskRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: TaskRoutePorts): void {
  router.post('/tasks/:key/continuations', async (req, res) => {
    const principal = requirePermission(res, 'task:submit', 'submit tasks');
    const before = await visibleTask(ports, principal, req.params.key);
    const body = expectObject(
      await readJson(req, ports.settings.maxJsonBytes, 'continuation request'),
      'continuation request',
    );
    if (body.task === undefined)
      throw validationError('continuation request', [
        { path: '/task', message: 'is missing: send {"task": <kolejka_task.json>}' },
      ]);
    const priority = parsePriority(body.priority);
    if (before.owner !== principal.username && !hasPermission(principal, 'task:delete-any'))
      throw new KolejkaError(
        'KOLEJKA_FORBIDDEN',
        `Task ${before.key} belongs to ${before.owner}: only the owner or a manager adds continuations`,
      );
    const links = await parseDependencyRequest(ports, principal, body, before.key);
    const record = await withIssuesUnder('/task', 'continuation request', () =>
      submitTask(ports, principal, body.task, {
        ...(priority === undefined ? {} : { priority }),
        ...(links === undefined ? {} : { links }),
      }),
    );
    const stored = (await ports.store.getTask(record.key)) ?? record;
    res.setHeader('Location', `${req.baseUrl}/tasks/${record.key}`);
    sendJson(res, 201, await linkedView(ports.store, taskView(stored)));
  });

  router.get('/tasks/:key/graph', async (req, res) => {
    const principal = requirePrincipal(res);
    const task = await visibleTask(ports, principal, req.params.key);
    const raw = req.query.depth;
    let depth = DEFAULT_GRAPH_DEPTH;
    if (raw !== undefined) {
      depth = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : -1;
      if (depth < 1 || depth > MAX_GRAPH_DEPTH)
        throw validationError('graph query', [
          { path: '/depth', message: `must be a whole number from 1 to ${MAX_GRAPH_DEPTH}` },
        ]);
    }
    sendJson(res, 200, await readTaskGraph(ports, principal, task.key, depth));
  });
}

const keyParameter = doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN);

const PATHS: OpenApiPaths = {
  '/api/v1/tasks/{key}/continuations': {
    parameters: [keyParameter],
    post: {
      tags: ['tasks'],
      operationId: 'addContinuation',
      summary: 'Submit a task that depends on this one (which may be queued, running or ended)',
      description:
        'The body is a submission (`task`, `priority`, `after`, `inputs`, more `dependencies`); this task is its first dependency. Stored `waiting` until its dependencies satisfy `after`; decided at once when they already ended.',
      requestBody: doc.body(doc.ref('TaskRequest')),
      responses: {
        '201': doc.json(doc.ref('Task'), 'Submitted (waiting, queued or cancelled)'),
        ...doc.errors(400, 401, 403, 404, 413, 415),
      },
    },
  },
  '/api/v1/tasks/{key}/graph': {
    parameters: [keyParameter],
    get: {
      tags: ['tasks'],
      operationId: 'getTaskGraph',
      summary: `The task with its dependencies and dependents (breadth first, at most ${MAX_GRAPH_NODES} tasks)`,
      parameters: [
        doc.query(
          'depth',
          `Steps each way (default ${DEFAULT_GRAPH_DEPTH}, at most ${MAX_GRAPH_DEPTH})`,
          {
            type: 'integer',
            minimum: 1,
            maximum: MAX_GRAPH_DEPTH,
          },
        ),
      ],
      responses: { '200': doc.json(doc.ref('TaskGraph')), ...doc.errors(400, 401, 404) },
    },
  },
};
