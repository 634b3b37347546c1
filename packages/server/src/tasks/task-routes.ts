import type { Router } from 'express';
import { KolejkaError, isKolejkaError, validationError } from '@kolejka/spec';
import { requirePermission, requirePrincipal } from '../accounts/principal.js';
import { expectObject, readJson } from '../http/body.js';
import { sendJson } from '../http/errors.js';
import { withIssuesUnder } from '../http/issues.js';
import {
  TASK_KEY_PATTERN,
  doc,
  type OpenApiPaths,
  type RouteModule,
} from '../http/route-module.js';
import type { ServerSettings } from '../server-settings.js';
import { TERMINAL_TASK_STATES, type TaskRecord } from '../store/store.js';
import { mayDeleteTask, taskNotFound, visibleTask } from './task-access.js';
import { parseTaskQuery } from './task-queries.js';
import { submitTask, type SubmitPorts } from './task-submission.js';
import { taskView } from './task-view.js';
// Task dependencies (issue 12)
import { parseDependencyRequest } from '../dependencies/dependency-request.js';
import { linkedView } from '../dependencies/links-view.js';
import {
  cancelDownstream,
  dependentsConflict,
  waitingDependents,
} from '../dependencies/waiting-dependents.js';

export interface TaskRoutePorts extends SubmitPorts {
  settings: SubmitPorts['settings'] & Pick<ServerSettings, 'maxJsonBytes'>;
}

export const MAX_PRIORITY = 1000;

export function parsePriority(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || Math.abs(value as number) > MAX_PRIORITY) {
    throw validationError('task request', [
      {
        path: '/priority',
        message: `must be a whole number from -${MAX_PRIORITY} to ${MAX_PRIORITY}`,
      },
    ]);
  }
  return value as number;
}

/** Cancels a task that is not finished yet; KOLEJKA_CONFLICT when it already ended. */
async function cancel(ports: TaskRoutePorts, task: TaskRecord, by: string): Promise<TaskRecord> {
  const before = await ports.store.cancelTask(task.key, `cancelled by ${by}`, ports.clock());
  if (before === undefined) {
    const now = await ports.store.getTask(task.key);
    if (now === undefined) throw taskNotFound(task.key);
    throw new KolejkaError(
      'KOLEJKA_CONFLICT',
      `Task ${task.key} is already ${now.state}; only unfinished tasks can be cancelled`,
      { details: { state: now.state } },
    );
  }
  ports.logger.info('task cancelled', { task: task.key, by, was: before.state });
  return (await ports.store.getTask(task.key)) ?? before;
}

/**
 * Puts an ended task back in the queue, as if it were new (its dependents stay as they are);
 * KOLEJKA_CONFLICT when it has not ended.
 */
async function requeue(ports: TaskRoutePorts, task: TaskRecord, by: string): Promise<TaskRecord> {
  const requeued = await ports.store.requeueTask(task.key, ports.clock(), TERMINAL_TASK_STATES);
  if (requeued === undefined) {
    const now = await ports.store.getTask(task.key);
    if (now === undefined) throw taskNotFound(task.key);
    throw new KolejkaError(
      'KOLEJKA_CONFLICT',
      `Task ${task.key} is ${now.state}; only finished, failed or cancelled tasks can be requeued`,
      { details: { state: now.state } },
    );
  }
  ports.logger.info('task requeued', { task: task.key, by, was: task.state });
  return requeued;
}

/** Tasks: submit, list, read, cancel, requeue, delete. */
export function taskRoutes(ports: TaskRoutePorts): RouteModule {
  return { api: 'v1', register: (router) => register(router, ports), paths: PATHS };
}

function register(router: Router, ports: TaskRoutePorts): void {
  router.post('/tasks', async (req, res) => {
    const principal = requirePermission(res, 'task:submit', 'submit tasks');
    const body = expectObject(
      await readJson(req, ports.settings.maxJsonBytes, 'task request'),
      'task request',
    );
    if (body.task === undefined) {
      throw validationError('task request', [
        { path: '/task', message: 'is missing: send {"task": <kolejka_task.json>}' },
      ]);
    }
    const priority = parsePriority(body.priority);
    const links = await parseDependencyRequest(ports, principal, body);
    const record = await withIssuesUnder('/task', 'task request', () =>
      submitTask(ports, principal, body.task, {
        ...(priority === undefined ? {} : { priority }),
        ...(links === undefined ? {} : { links }),
      }),
    );
    res.setHeader('Location', `${req.baseUrl}/tasks/${record.key}`);
    if (links === undefined) sendJson(res, 201, taskView(record));
    // Dependencies that already ended decide the task at once: answer what was stored.
    else
      sendJson(
        res,
        201,
        await linkedView(ports.store, taskView((await ports.store.getTask(record.key)) ?? record)),
      );
  });

  router.get('/tasks', async (req, res) => {
    const principal = requirePrincipal(res);
    const query = parseTaskQuery(req, principal);
    let page;
    try {
      page = await ports.store.listTasks(query.filter, query.limit, query.cursor);
    } catch (error) {
      if (query.cursor === undefined || isKolejkaError(error)) throw error;
      throw new KolejkaError('KOLEJKA_VALIDATION', 'The cursor is not one this server gave', {
        cause: error,
      });
    }
    sendJson(res, 200, {
      items: page.items.map(taskView),
      ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
    });
  });

  router.get('/tasks/:key', async (req, res) => {
    const task = await visibleTask(ports, requirePrincipal(res), req.params.key);
    sendJson(res, 200, await linkedView(ports.store, taskView(task)));
  });

  router.post('/tasks/:key/cancel', async (req, res) => {
    const principal = requirePrincipal(res);
    const task = await visibleTask(ports, principal, req.params.key);
    if (!mayDeleteTask(principal, task)) {
      throw new KolejkaError('KOLEJKA_FORBIDDEN', `Only the owner or a manager cancels a task`);
    }
    sendJson(res, 200, taskView(await cancel(ports, task, principal.username)));
  });

  router.post('/tasks/:key/requeue', async (req, res) => {
    const principal = requirePrincipal(res);
    const task = await visibleTask(ports, principal, req.params.key);
    if (!mayDeleteTask(principal, task)) {
      throw new KolejkaError('KOLEJKA_FORBIDDEN', `Only the owner or a manager requeues a task`);
    }
    sendJson(res, 200, taskView(await requeue(ports, task, principal.username)));
  });

  router.delete('/tasks/:key', async (req, res) => {
    const principal = requirePrincipal(res);
    const task = await visibleTask(ports, principal, req.params.key);
    if (!mayDeleteTask(principal, task)) {
      throw new KolejkaError('KOLEJKA_FORBIDDEN', `Only the owner or a manager deletes a task`);
    }
    // Tasks waiting on it would lose their dependency: refused, or cancelled with ?cascade=true.
    const waiting = await waitingDependents(ports.store, task.key);
    if (waiting.length > 0) {
      if (req.query.cascade !== 'true') throw dependentsConflict(task.key, waiting);
      await cancelDownstream(ports.store, task.key, ports.clock());
    }
    // Cancelling first tells the foreman running it (through the event log) to stop.
    if (!TERMINAL_TASK_STATES.includes(task.state)) {
      await ports.store.cancelTask(task.key, `deleted by ${principal.username}`, ports.clock());
    }
    if (!(await ports.store.deleteTask(task.key, ports.clock()))) throw taskNotFound(task.key);
    ports.logger.info('task deleted', { task: task.key, by: principal.username });
    res.status(204).end();
  });
}

const PATHS: OpenApiPaths = {
  '/api/v1/tasks': {
    post: {
      tags: ['tasks'],
      operationId: 'submitTask',
      summary: 'Submit a task',
      description:
        'The task is `kolejka_task.json` as the original reads it. Every file must name (`reference`) the SHA-256 of a blob the caller may read, or one of its reference keys; it is stored by hash and `path` is dropped. The server issues the key (and sets `id` to it), fills limits the task omits from its defaults and caps them at its maxima.',
      requestBody: doc.body(doc.ref('TaskRequest')),
      responses: {
        '201': doc.json(doc.ref('Task'), 'Queued'),
        ...doc.errors(400, 401, 403, 413, 415, 429),
      },
    },
    get: {
      tags: ['tasks'],
      operationId: 'listTasks',
      summary:
        'List tasks, newest first (clients and processors: their own; inspectors, managers, admins: all)',
      description:
        'Filters combine (all must hold). A `nextCursor` continues the order it was given in: passing it with the other `sort` is a 400 naming the sort it belongs to.',
      parameters: [
        doc.query('state', 'Only these states (comma-separated or repeated)', {
          type: 'string',
        }),
        doc.query('owner', 'Only tasks of this user (privileged roles)', { type: 'string' }),
        doc.query('createdAfter', 'Only tasks created after this time (ISO-8601)', {
          type: 'string',
          format: 'date-time',
        }),
        doc.query('createdBefore', 'Only tasks created before this time (ISO-8601)', {
          type: 'string',
          format: 'date-time',
        }),
        doc.query('tag', 'Only tasks whose `requires` lists this tag', { type: 'string' }),
        doc.query('image', 'Only tasks of exactly this image', { type: 'string' }),
        doc.query('q', 'Only tasks whose key contains this text, ignoring case (1-32 hex digits)', {
          type: 'string',
          pattern: '^[0-9a-fA-F]{1,32}$',
        }),
        doc.query(
          'sort',
          '`newest` (default: created desc, key desc) or `oldest` (created asc, key asc)',
          { type: 'string', enum: ['newest', 'oldest'], default: 'newest' },
        ),
        doc.query('limit', 'Page size (default 100)', {
          type: 'integer',
          minimum: 1,
          maximum: 1000,
        }),
        doc.query('cursor', 'The `nextCursor` of the previous page', { type: 'string' }),
      ],
      responses: {
        '200': doc.json(doc.ref('TaskPage'), 'A page of tasks'),
        ...doc.errors(400, 401, 403),
      },
    },
  },
  '/api/v1/tasks/{key}': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    get: {
      tags: ['tasks'],
      operationId: 'getTask',
      summary: 'Read a task (owner, assignee, inspectors, managers, admins)',
      responses: { '200': doc.json(doc.ref('Task')), ...doc.errors(401, 404) },
    },
    delete: {
      tags: ['tasks'],
      operationId: 'deleteTask',
      summary: 'Delete a task and its result (owner, managers, admins); cancels it first',
      description:
        'Refused (409, naming them) while tasks wait on it as a dependency; with `cascade=true` every unfinished task downstream is cancelled first (kept, with a reason naming this task).',
      parameters: [
        doc.query('cascade', 'Also cancel the tasks that wait on this one', {
          type: 'boolean',
        }),
      ],
      responses: { '204': doc.empty('Deleted'), ...doc.errors(401, 403, 404, 409) },
    },
  },
  '/api/v1/tasks/{key}/cancel': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    post: {
      tags: ['tasks'],
      operationId: 'cancelTask',
      summary: 'Cancel an unfinished task (owner, managers, admins)',
      responses: {
        '200': doc.json(doc.ref('Task'), 'Cancelled'),
        ...doc.errors(401, 403, 404, 409),
      },
    },
  },
  '/api/v1/tasks/{key}/requeue': {
    parameters: [doc.path('key', 'Task key (uuid4, 32 hex)', TASK_KEY_PATTERN)],
    post: {
      tags: ['tasks'],
      operationId: 'requeueTask',
      summary: 'Put an ended task back in the queue (owner, managers, admins)',
      description:
        'A finished, failed or cancelled task goes back to `queued` to run again: its result is removed, its reason, assignee, lease and assigned/started/finished times are cleared and its lost-lease count restarts at 0; `attempt` is kept (the next claim increments it). Schedulers and event subscribers see it as a newly queued task. Tasks that depend on it are not touched: dependents already decided (queued, run or cancelled because of it) stay as they are. Any other state: 409 KOLEJKA_CONFLICT with `details.state`.',
      responses: {
        '200': doc.json(doc.ref('Task'), 'Queued again'),
        ...doc.errors(401, 403, 404, 409),
      },
    },
  },
};
